// Shared bits of the phone tests: peer programs that must be installed (a missing one fails
// the test naming the Debian package, never a silent skip), free ports, sipsak, and digest
// answers for the raw test peer.
import { spawn, spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { answerChallenge } from '../../../src/sip/message/digest';
import type { AuthValue } from '../../../src/sip/message/types';
import { header, rid, type RequestSpec, type SipPeer, type WireMessage } from '../../helpers/sip-peer';

export function requireTool(tool: string, pkg: string): void {
  if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) {
    throw new Error(`${tool} is not installed: apt-get install ${pkg} (.ci/run installs it)`);
  }
}

/** A port free on 127.0.0.1 for both UDP and TCP (a SIP phone listens on both). */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as net.AddressInfo).port;
    const sock = dgram.createSocket('udp4');
    const ok = await new Promise<boolean>((r) => {
      sock.once('error', () => r(false));
      sock.bind(port, '127.0.0.1', () => r(true));
    });
    sock.close();
    await new Promise<void>((r) => srv.close(() => r()));
    if (ok) return port;
  }
  throw new Error('no free port for UDP and TCP');
}

/** The Authorization value text answering a 401/407 of the raw peer. */
export function authorization(challenge: string, user: string, password: string, method: string, uri: string): string {
  const params = Object.fromEntries([...challenge.replace(/^Digest\s+/i, '').matchAll(/(\w+)=("[^"]*"|[^,]+)/g)].map((m) => [m[1], m[2]!.trim()]));
  const auth = answerChallenge({ scheme: 'Digest', ...params } as AuthValue, { user, password }, method, uri);
  return 'Digest ' + Object.entries(auth).filter(([k]) => k !== 'scheme').map(([k, v]) => `${k}=${v}`).join(', ');
}

/** A request that answers one digest challenge (401 or 407) the way a phone does. */
export async function authedRequest(peer: SipPeer, spec: RequestSpec, creds: { user: string; password: string }): Promise<WireMessage> {
  const callId = spec.callId ?? rid();
  const first = await peer.request({ ...spec, callId, cseq: 1 });
  if (first.status !== 401 && first.status !== 407) return first;
  const name = first.status === 401 ? 'www-authenticate' : 'proxy-authenticate';
  const ch = header(first, name)!;
  const auth = authorization(ch, creds.user, creds.password, spec.method, spec.uri);
  const h = first.status === 401 ? 'Authorization' : 'Proxy-Authorization';
  return peer.request({ ...spec, callId, cseq: 2, headers: { ...spec.headers, [h]: auth } });
}

/** Runs sipsak to completion; its stdout/stderr and exit code. */
export function sipsak(args: string[], timeoutMs = 15000): Promise<{ code: number | null; out: string }> {
  requireTool('sipsak', 'sipsak');
  return new Promise((resolve) => {
    const p = spawn('sipsak', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

const SCENARIOS = path.resolve(__dirname, '../../fixtures/sipp');

/** Runs one SIPp scenario from test/fixtures/sipp as a client of 127.0.0.1:port; exit 0 = every call passed. */
export async function sipp(serverPort: number, scenario: string, opts: { service?: string; transport?: 'u1' | 't1'; timeoutS?: number } = {}): Promise<{ code: number | null; out: string }> {
  requireTool('sipp', 'sip-tester');
  const args = [
    `127.0.0.1:${serverPort}`,
    '-sf', path.join(SCENARIOS, scenario),
    '-s', opts.service ?? 'x',
    '-i', '127.0.0.1',
    '-p', String(await freePort()),
    '-t', opts.transport ?? 'u1',
    '-m', '1',
    '-timeout', `${opts.timeoutS ?? 10}s`,
    '-timeout_error',
    '-nostdin',
  ];
  return new Promise((resolve) => {
    const p = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', (err) => resolve({ code: -1, out: `cannot run sipp: ${err.message}` }));
    p.on('exit', (code) => resolve({ code, out }));
  });
}

/**
 * Environment for a test server on this shared 2-core machine: a busy neighbour must not push
 * it into "under pressure" (503 to REGISTER) in the middle of a test about something else.
 */
export const CALM: Record<string, string> = { IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000' };

/** One sample of a metric from the server's /metrics (0 when absent); labels as `{method="REGISTER"}`. */
export function metric(server: { httpPort: number }, name: string, labels = ''): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: server.httpPort, path: '/metrics' }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          const m = new RegExp(`^${esc(name)}${labels ? esc(labels) : '(?:\\{[^}]*\\})?'} (\\d+)`, 'm').exec(body);
          resolve(m ? Number(m[1]) : 0);
        });
      })
      .on('error', reject);
  });
}
