// Torture sets (issue 11 item 4): hostile SIP messages and MSRP frames kept as data in
// test/fixtures/torture/{sip,msrp}/*, each file opening with "# " lines: what it tests (the
// clause), then the expected outcome per transport ("# udp: 400", "# tcp: 400+close"). The
// rest of the file is the exact bytes sent, with {{tid}} and {{transport}} filled in per run.
//
// Outcomes: NNN (a final response with that status; SIP 1xx are skipped), NNN+close (that
// status, then the server closes the connection), a,b (MSRP: these statuses in order),
// drop (no answer; a stream stays open), close (no answer, the connection is closed).
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { startServer, type ServerHandle } from '../../helpers/server';
import { SipPeer } from '../../helpers/sip-peer';

export interface TortureCase {
  readonly file: string;
  readonly what: string;
  readonly expect: Readonly<Record<string, string>>;
  /** bytes with the placeholders still in */
  readonly template: Buffer;
}

export function loadCases(kind: 'sip' | 'msrp'): TortureCase[] {
  const dir = path.resolve(__dirname, '../../fixtures/torture', kind);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((file) => {
      const data = fs.readFileSync(path.join(dir, file));
      const expect: Record<string, string> = {};
      let what = '';
      let at = 0;
      while (data[at] === 0x23 /* # */) {
        const nl = data.indexOf(0x0a, at);
        const line = data.subarray(at + 2, nl).toString('utf8');
        const m = /^(udp|tcp): (\S+)$/.exec(line);
        if (m) expect[m[1]!] = m[2]!;
        else what += (what ? ' ' : '') + line;
        at = nl + 1;
      }
      return { file, what, expect, template: data.subarray(at) };
    });
}

export function fill(template: Buffer, tid: string, transport: string): Buffer {
  return Buffer.from(template.toString('latin1').replace(/\{\{tid\}\}/g, tid).replace(/\{\{transport\}\}/g, transport), 'latin1');
}

/** What came back: the statuses of the answers read (SIP: finals only) and whether the peer closed. */
export interface Observed {
  readonly statuses: number[];
  readonly closed: boolean;
  readonly text: string;
}

export function describeObserved(o: Observed): string {
  if (o.statuses.length === 0) return o.closed ? 'close' : 'drop';
  return o.statuses.join(',') + (o.closed ? '+close' : '');
}

const SIP_STATUS = /^SIP\/2\.0 (\d{3}) /;

/** Sends one datagram; collects answers for waitMs after the last one (a final ends it early). */
export function udpExchange(port: number, data: Buffer, waitMs: number): Promise<Observed> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const statuses: number[] = [];
    let text = '';
    let t: NodeJS.Timeout;
    const done = (): void => {
      clearTimeout(t);
      s.close();
      resolve({ statuses, closed: false, text });
    };
    s.bind(0, '127.0.0.1', () => {
      t = setTimeout(done, waitMs);
      s.on('message', (d) => {
        const str = d.toString('latin1');
        text += str;
        const m = SIP_STATUS.exec(str);
        const code = m ? Number(m[1]) : 0;
        if (code >= 200 || code === 0) {
          statuses.push(code);
          done();
        }
      });
      s.send(data, port, '127.0.0.1');
    });
  });
}

/**
 * Writes `data` on a fresh connection; reads answers (parsed by `statusesOf`) until `until`
 * says the outcome is known, the peer closes, or waitMs pass. After an answer it waits
 * `closeGraceMs` more to see whether the connection is closed.
 */
export function tcpExchange(
  port: number,
  data: Buffer,
  opts: { waitMs: number; closeGraceMs: number; statusesOf: (text: string) => number[]; wanted: number },
): Promise<Observed> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    let closed = false;
    let t = setTimeout(() => finish(), opts.waitMs);
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(t);
      s.destroy();
      resolve({ statuses: opts.statusesOf(text), closed, text });
    };
    s.on('data', (d) => {
      text += d.toString('latin1');
      if (opts.statusesOf(text).length >= opts.wanted) {
        clearTimeout(t);
        t = setTimeout(() => finish(), opts.closeGraceMs);
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      closed = true;
      finish();
    });
    s.on('connect', () => s.write(data));
  });
}

/** Final SIP statuses in a TCP byte stream (1xx skipped). */
export function sipStatuses(text: string): number[] {
  return [...text.matchAll(/(?:^|\r\n\r\n)SIP\/2\.0 (\d{3}) /g)].map((m) => Number(m[1])).filter((c) => c >= 200);
}

/**
 * One live server for a whole torture file (started before its tests, stopped after with exit
 * 0 asserted), and the status a fresh OPTIONS gets from it: after every case it must be 200.
 */
export function liveServer(): { readonly server: ServerHandle; optionsStatus(): Promise<number> } {
  let server: ServerHandle | undefined;
  let probe: SipPeer | undefined;
  beforeAll(async () => {
    server = await startServer();
    probe = await SipPeer.open('UDP', server.sipPort);
  });
  afterAll(async () => {
    probe?.close();
    expect(await server?.stop()).toBe(0);
  });
  return {
    get server(): ServerHandle {
      if (server === undefined) throw new Error('the torture server is not started');
      return server;
    },
    optionsStatus: async () =>
      (await probe!.request({ method: 'OPTIONS', uri: 'sip:localhost', from: 'sip:probe@localhost', to: 'sip:localhost' }, 3000)).status ?? 0,
  };
}
