/**
 * Kamailio's msrp module as an RFC 4976 relay (Debian package `kamailio`), started on a free
 * port with scripts/bench/kamailio/kamailio.cfg and a given number of TCP workers (as deployed:
 * one per core). Its CPU and memory are those of its whole process tree (main, TCP main, TCP
 * workers, timers).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { freePort, waitForListener } from '../net-util';
import { processTree } from '../proc-stats';
import type { ChildRegistry } from '../rpc';
import { RELAY_TIMEOUT_MS, type RelayUnderTest, type RunningRelay } from './types';

/** scripts/bench/kamailio/kamailio.cfg, from dist/scripts/bench/relays/ or scripts/bench/relays/. */
function configPath(): string {
  const fromDist = resolve(__dirname, '../../../../scripts/bench/kamailio/kamailio.cfg');
  return existsSync(fromDist) ? fromDist : resolve(__dirname, '../kamailio/kamailio.cfg');
}

function findBinary(explicit: string): string | undefined {
  const candidates = explicit !== ''
    ? [explicit]
    : [...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'kamailio')), '/usr/sbin/kamailio'];
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Keeps the last maxBytes of a stream, to explain a failed start. */
function tail(maxBytes: number): { push(b: Buffer): void; text(): string } {
  let buf = Buffer.alloc(0);
  return {
    push(b: Buffer): void {
      buf = Buffer.concat([buf, b]);
      if (buf.length > maxBytes) buf = buf.subarray(buf.length - maxBytes);
    },
    text: () => buf.toString('utf8'),
  };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    // detached: the child leads its own process group, which holds all Kamailio processes
    process.kill(-child.pid, signal);
  } catch {
    // gone
  }
}

/**
 * name: the row's label ('kamailio' for the deployed shape, 'kamailio-1w' for one worker);
 * workers: its TCP worker processes (tcp_children).
 */
export function kamailioRelay(registry: ChildRegistry, binary: string, name: string, workers: number): RelayUnderTest {
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`kamailio TCP workers must be >= 1, got ${workers}`);
  const shape = workers === 1 ? 'one TCP worker' : `${workers} TCP workers`;
  return {
    name,
    note:
      `${name}: msrp module, RFC 4976 AUTH + Use-Path, ${shape}, blocking writes (tcp_async=no); ` +
      "the 200 at A is the relay's own (hop by hop) once the frame is written toward B; RSS = summed PSS of its processes.",
    probe(): Promise<string | undefined> {
      if (findBinary(binary) === undefined) return Promise.resolve('not installed');
      if (!existsSync(configPath())) return Promise.resolve(`config not found: ${configPath()}`);
      return Promise.resolve(undefined);
    },
    async start(): Promise<RunningRelay> {
      const bin = findBinary(binary);
      if (bin === undefined) throw new Error('not installed');
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'imedge-bench-kamailio-'));
      const args = [
        '-f', configPath(), '-l', `tcp:127.0.0.1:${port}`, '-DD', '-E',
        '-Y', dir, '-w', dir, '-m', '64', '-M', '8', '-A', `TCP_WORKERS=${workers}`,
      ];
      const child = spawn(bin, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      registry.add(child, true);
      const log = tail(8192);
      child.stdout?.on('data', (b: Buffer) => log.push(b));
      child.stderr?.on('data', (b: Buffer) => log.push(b));
      let exited = false;
      child.once('exit', () => {
        exited = true;
      });
      const stop = async (): Promise<void> => {
        if (!exited) {
          const gone = new Promise<void>((r) => child.once('exit', () => r()));
          killGroup(child, 'SIGTERM');
          const t = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
          await gone;
          clearTimeout(t);
        }
        // the children may outlive the main process for a moment
        killGroup(child, 'SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      };
      const up = await waitForListener(port, RELAY_TIMEOUT_MS, () => exited);
      if (!up) {
        await stop();
        throw new Error(`did not start: ${log.text().trim().split('\n').slice(-5).join(' | ')}`);
      }
      const pid = child.pid ?? -1;
      const relayUri = `msrp://127.0.0.1:${port};tcp`;
      return {
        pids: () => processTree(pid),
        openSession() {
          const t = { host: '127.0.0.1', port, handshake: 'auth' as const, handshakeToPath: [relayUri], toPath: [] };
          return Promise.resolve({ a: t, b: t });
        },
        stop,
      };
    },
  };
}
