// Attack finding (second limits attack, F1, critical): one UDP datagram whose top Via had a
// parameter named `__proto__` took the process down before any authentication: the library
// stored wire names with plain assignment, so `params.__proto__ = null` replaced the object's
// prototype and the UDP path's `params.hasOwnProperty('rport')` threw out of the socket's
// handler. Names from the wire are now own properties everywhere (library and our boundary),
// and a throw while one datagram is handled drops that datagram only. Each case goes over UDP
// and TCP to a real `imedge serve`; after each the server still answers OPTIONS with 200.
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { rid, parseWire, type WireMessage } from '../../helpers/sip-peer';
import { startServer, type ServerHandle } from '../../helpers/server';

const NAMES = ['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf', 'prototype'];

let s: ServerHandle;
beforeAll(async () => {
  s = await startServer({ env: { IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000' } });
});
afterAll(async () => {
  expect(await s.stop()).toBe(0);
});

function options(transport: 'UDP' | 'TCP', port: number, name: string, where: string): string {
  const p = where === 'via' ? `;${name}` : '';
  const uriP = where === 'ruri' ? `;${name}=1` : '';
  const fromP = where === 'from' ? `;${name}` : '';
  const toP = where === 'to' ? `;${name}=x` : '';
  const contactP = where === 'contact' ? `;${name}` : '';
  const extra = where === 'header' ? [`${name}: 1`] : where === 'uri-header' ? [`Contact: <sip:x@127.0.0.1?${name}=1>`] : [];
  return [
    `OPTIONS sip:localhost${uriP} SIP/2.0`,
    `Via: SIP/2.0/${transport} 127.0.0.1:${port};branch=z9hG4bK${rid()};rport${p}`,
    'Max-Forwards: 70',
    `From: <sip:x@localhost>;tag=1${fromP}`,
    `To: <sip:localhost>${toP}`,
    `Call-ID: ${rid()}`,
    'CSeq: 1 OPTIONS',
    `Contact: <sip:x@127.0.0.1:${port}>${contactP}`,
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

async function udpAnswer(text: (port: number) => string): Promise<WireMessage | undefined> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  try {
    const got = new Promise<WireMessage | undefined>((resolve) => {
      const t = setTimeout(() => resolve(undefined), 1500);
      sock.on('message', (d) => {
        clearTimeout(t);
        resolve(parseWire(d));
      });
    });
    sock.send(text(sock.address().port), s.sipPort, '127.0.0.1');
    return await got;
  } finally {
    sock.close();
  }
}

async function tcpAnswer(text: (port: number) => string): Promise<WireMessage | undefined> {
  const c = net.connect(s.sipPort, '127.0.0.1');
  await new Promise<void>((r, j) => c.once('connect', () => r()).once('error', j));
  try {
    const got = new Promise<WireMessage | undefined>((resolve) => {
      const t = setTimeout(() => resolve(undefined), 1500);
      let buf = Buffer.alloc(0);
      c.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        const m = parseWire(buf);
        if (m) {
          clearTimeout(t);
          resolve(m);
        }
      });
      c.once('close', () => resolve(undefined));
    });
    c.write(text(c.localPort ?? 0));
    return await got;
  } finally {
    c.destroy();
  }
}

const alive = async (): Promise<void> => {
  expect(s.proc.exitCode).toBeNull();
  const m = await udpAnswer((port) => options('UDP', port, 'plain', 'none'));
  expect(m?.status).toBe(200);
};

describe.each(['via', 'ruri', 'from', 'to', 'contact', 'header', 'uri-header'])('a wire name like a JS object key in %s', (where) => {
  test.each(NAMES)('%s over UDP and TCP: answered (never a crash), OPTIONS 200 after', async (name) => {
    const u = await udpAnswer((port) => options('UDP', port, name, where));
    // answered like any OPTIONS (200) or refused as malformed (400): never silence from a dead process
    if (u !== undefined) expect([200, 400]).toContain(u.status);
    await alive();
    const t = await tcpAnswer((port) => options('TCP', port, name, where));
    if (t !== undefined) expect([200, 400]).toContain(t.status);
    await alive();
  });
});

test('RFC 3261 18.2.2: the Via parameter named __proto__ over UDP gets its 200 through the rport path', async () => {
  const u = await udpAnswer((port) => options('UDP', port, '__proto__', 'via'));
  expect(u?.status).toBe(200);
  await alive();
});
