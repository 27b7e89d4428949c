// Issue 11 item 6(c): slowloris on every port of the real `imedge serve` (SIP TCP, SIP TLS,
// MSRP, MSRP TLS, admin HTTP): clients that connect and never speak, and clients that send
// one byte per tick and never finish, are closed by the server within its configured bound,
// and the connection counts in /metrics return to zero. Bounds (short here, from config):
//   SIP TCP/TLS  sip.tcpMessageTimeoutMs (first message / a started message); TLS before its
//                handshake: tls.handshakeTimeoutMs
//   MSRP (TLS)   msrp.bindTimeoutMs (no session bound); TLS handshake as above
//   admin HTTP   http.headersTimeoutMs (Node checks it every min(1 s, the bound))
//
//   node dist/scripts/fault/slowloris.js [--runs N] [--waves W]   (N clients per port and kind, default 20, in W waves, default 5)
import * as http from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { startServer, type ServerHandle } from '../../test/helpers/server';
import { certDir, makeCert } from '../../test/helpers/tls-cert';
import { intArg, runMain, sleep, until } from './common';

export type Port = 'sip-tcp' | 'sip-tls' | 'msrp' | 'msrp-tls' | 'http';
export type Kind = 'silent' | 'dribble';

export interface SlowlorisFigures {
  boundMs: number;
  clientsPerPortAndKind: number;
  waves: number;
  /** Per port and kind: how long the server took to close, in ms (max over the clients), or -1 if one was never closed. */
  closedAfterMs: Record<string, number>;
  /** Clients the server never closed (must be 0). */
  notClosed: number;
  /** Connection gauges after every client was closed (must all be 0). */
  liveAfter: { sipTcp: number; msrp: number; admin: number };
  /** imedge_sip_tcp_slow_closed_total by reason. */
  sipSlowClosed: { noMessage: number; partialMessage: number };
  /** Server RSS before the clients and after they were closed, in MiB. */
  rssMiB: { before: number; during: number; after: number; afterWave: number[] };
}

const BOUND_MS = 600;
/** One byte per tick for the dribbling clients: several ticks fit in the bound. */
const TICK_MS = 100;

/** A first SIP / MSRP / HTTP message that is never finished: the dribbler sends it a byte per tick. */
const PARTIAL: Record<Port, string> = {
  'sip-tcp': 'OPTIONS sip:localhost SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKslow\r\nMax-Forwards: 70\r\n',
  'sip-tls': 'OPTIONS sip:localhost SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bKslow\r\nMax-Forwards: 70\r\n',
  msrp: 'MSRP slow123 SEND\r\nTo-Path: msrp://127.0.0.1:2855/nosuchsession;tcp\r\nFrom-Path: msrp://127.0.0.1:9/me;tcp\r\n',
  'msrp-tls': 'MSRP slow123 SEND\r\nTo-Path: msrps://127.0.0.1:2856/nosuchsession;tcp\r\nFrom-Path: msrps://127.0.0.1:9/me;tcp\r\n',
  http: 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ',
};

interface Client {
  port: Port;
  kind: Kind;
  openedAt: number;
  closedAt?: number;
  socket: net.Socket;
  timer?: NodeJS.Timeout;
}

function open(port: Port, kind: Kind, target: number): Client {
  const secure = port === 'sip-tls' || port === 'msrp-tls';
  // a silent TLS client never even starts its handshake (plain TCP to the TLS port)
  const socket = secure && kind === 'dribble' ? tls.connect({ host: '127.0.0.1', port: target, rejectUnauthorized: false }) : net.connect(target, '127.0.0.1');
  const c: Client = { port, kind, openedAt: Date.now(), socket };
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  socket.once('close', () => {
    c.closedAt = Date.now();
    clearInterval(c.timer);
  });
  if (kind === 'dribble') {
    const bytes = Buffer.from(PARTIAL[port], 'latin1');
    let i = 0;
    const start = () => {
      // the bound starts when the connection can speak (TLS: after the handshake)
      c.openedAt = Date.now();
      // SIP: one whole message first, so what is bounded is a message left half-sent
      if (port === 'sip-tcp' || port === 'sip-tls') {
        const t = port === 'sip-tcp' ? 'TCP' : 'TLS';
        socket.write(`OPTIONS sip:localhost SIP/2.0\r\nVia: SIP/2.0/${t} 127.0.0.1:5999;branch=z9hG4bKfirst${Math.random().toString(36).slice(2)}\r\nMax-Forwards: 70\r\nFrom: <sip:slow@localhost>;tag=1\r\nTo: <sip:localhost>\r\nCall-ID: slow${Math.random()}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`);
      }
      c.timer = setInterval(() => {
        if (!socket.destroyed && socket.writable) socket.write(bytes.subarray(i % bytes.length, (i % bytes.length) + 1));
        i++;
        // never the end of the message: wrap before the blank line that would finish it
        if (i % bytes.length === 0) i = bytes.length - 1;
      }, TICK_MS);
    };
    socket.once(secure ? 'secureConnect' : 'connect', start);
  }
  return c;
}

/** One scrape on its own connection, closed after it (so the admin gauge counts only this one). */
function scrape(s: ServerHandle): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: s.httpPort, path: '/metrics', agent: false, headers: { connection: 'close' } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve(text));
      })
      .on('error', reject);
  });
}

async function metric(s: ServerHandle, re: RegExp): Promise<number> {
  const m = re.exec(await scrape(s));
  return m ? Number(m[1]) : Number.NaN;
}

async function rssMiB(s: ServerHandle): Promise<number> {
  return (await metric(s, /^imedge_process_resident_memory_bytes (\S+)$/m)) / 1024 / 1024;
}

export async function runSlowloris(clients = 4, waves = 1): Promise<SlowlorisFigures> {
  const certs = certDir();
  const cert = makeCert(certs.dir);
  const s = await startServer({
    args: ['--tls-cert', cert.certFile, '--tls-key', cert.keyFile, '--sips-port', '0', '--msrps-port', '0'],
    env: {
      IMEDGE_SIP__TCP_MESSAGE_TIMEOUT_MS: String(BOUND_MS),
      IMEDGE_MSRP__BIND_TIMEOUT_MS: String(BOUND_MS),
      IMEDGE_TLS__HANDSHAKE_TIMEOUT_MS: String(BOUND_MS),
      // the bound under test is the handshake timeout, not the per-address share of pending handshakes
      IMEDGE_TLS__MAX_HANDSHAKES_PER_SOURCE: '10000',
      IMEDGE_HTTP__HEADERS_TIMEOUT_MS: String(BOUND_MS),
      IMEDGE_HTTP__REQUEST_TIMEOUT_MS: String(BOUND_MS),
      // every client comes from 127.0.0.1: the per-source caps are not what is tested here
      IMEDGE_SIP__MAX_TCP_CONNECTIONS_PER_SOURCE: '100000',
      IMEDGE_MSRP__MAX_CONNECTIONS_PER_SOURCE: '100000',
      IMEDGE_LOG__LEVEL: 'info',
    },
  });
  const figures: SlowlorisFigures = {
    boundMs: BOUND_MS,
    clientsPerPortAndKind: clients,
    waves,
    closedAfterMs: {},
    notClosed: 0,
    liveAfter: { sipTcp: -1, msrp: -1, admin: -1 },
    sipSlowClosed: { noMessage: 0, partialMessage: 0 },
    rssMiB: { before: 0, during: 0, after: 0, afterWave: [] },
  };
  try {
    const ports: Record<Port, number> = { 'sip-tcp': s.sipPort, 'sip-tls': s.sipsPort!, msrp: s.msrpPort!, 'msrp-tls': s.msrpsPort!, http: s.httpPort };
    figures.rssMiB.before = await rssMiB(s);
    // waves of clients on the same server: RSS after each wave shows whether closed ones hold memory
    for (let wave = 1; wave <= waves; wave++) {
      const all: Client[] = [];
      for (const port of Object.keys(ports) as Port[]) {
        for (const kind of ['silent', 'dribble'] as Kind[]) for (let i = 0; i < clients; i++) all.push(open(port, kind, ports[port]));
      }
      await sleep(BOUND_MS / 2);
      if (wave === 1) figures.rssMiB.during = await rssMiB(s);
      // the admin checker runs every min(1 s, bound); TLS adds its handshake: 3 bounds + a margin at most
      await until(() => all.every((c) => c.closedAt !== undefined), 'every slow client closed by the server', 3 * BOUND_MS + 5_000).catch(() => undefined);
      for (const c of all) {
        const key = `${c.port}/${c.kind}`;
        const after = c.closedAt === undefined ? -1 : c.closedAt - c.openedAt;
        if (after < 0) figures.notClosed++;
        const prev = figures.closedAfterMs[key];
        figures.closedAfterMs[key] = prev === undefined || prev === -1 || after === -1 ? (prev === -1 ? -1 : after) : Math.max(prev, after);
      }
      for (const c of all) {
        clearInterval(c.timer);
        c.socket.destroy();
      }
      figures.rssMiB.afterWave.push(Math.round((await rssMiB(s)) * 10) / 10);
    }
    // the gauges count the scrape's own connection on the admin port
    await until(async () => (await metric(s, /^imedge_sip_tcp_connections (\d+)$/m)) === 0 && (await metric(s, /^imedge_msrp\{figure="connectionsLive"\} (\d+)$/m)) === 0, 'connection counts back to zero').catch(() => undefined);
    figures.liveAfter = {
      sipTcp: await metric(s, /^imedge_sip_tcp_connections (\d+)$/m),
      msrp: await metric(s, /^imedge_msrp\{figure="connectionsLive"\} (\d+)$/m),
      admin: (await metric(s, /^imedge_admin_connections (\d+)$/m)) - 1,
    };
    figures.sipSlowClosed = {
      noMessage: await metric(s, /^imedge_sip_tcp_slow_closed_total\{reason="no-message"\} (\d+)$/m),
      partialMessage: await metric(s, /^imedge_sip_tcp_slow_closed_total\{reason="partial-message"\} (\d+)$/m),
    };
    figures.rssMiB.after = await rssMiB(s);
  } finally {
    await s.stop();
    certs.cleanup();
  }
  return figures;
}

runMain(module, () => runSlowloris(intArg('runs', 20), intArg('waves', 5)));
