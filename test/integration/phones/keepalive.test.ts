// Issue 15 item 3, over real sockets against the SIP front: linphone's double-CRLF keep-alive
// over UDP is dropped silently, over TCP it is answered with one CRLF (RFC 5626 4.4.1); neither
// counts as a malformed message, both are counted as keep-alives.
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { Writable } from 'node:stream';
import { SipStack } from '../../../src/sip/stack';
import { createLogger } from '../../../src/log';
import { rid } from '../../helpers/sip-peer';

let stack: SipStack;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  const dest = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  stack = await SipStack.start(
    { bind: '127.0.0.1', port: 0, udp: true, tcp: true, maxBytesHeaders: 16384, maxContentLength: 65536, maxTransactions: 64, overloadRetryAfterS: 5, logger: createLogger({ level: 'debug', destination: dest }) },
    (r) => r.reply(200),
  );
});
afterAll(() => stack.close());

const options = (transport: 'UDP' | 'TCP', port: number) =>
  [
    'OPTIONS sip:localhost SIP/2.0',
    `Via: SIP/2.0/${transport} 127.0.0.1:${port};branch=z9hG4bK${rid()};rport`,
    'Max-Forwards: 70',
    'From: <sip:a@localhost>;tag=1',
    'To: <sip:localhost>',
    `Call-ID: ${rid()}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');

/** Splits what came back into responses (by Content-Length) and the CRLFs between them. */
function frame(s: string): { responses: number; between: string } {
  let i = 0;
  let responses = 0;
  let between = '';
  while (i < s.length) {
    if (s.startsWith('\r\n', i)) {
      between += '\r\n';
      i += 2;
      continue;
    }
    const end = s.indexOf('\r\n\r\n', i);
    if (end < 0) break;
    const cl = /\r\ncontent-length:\s*(\d+)/i.exec(s.slice(i, end + 2));
    i = end + 4 + Number(cl?.[1] ?? 0);
    responses++;
  }
  return { responses, between };
}

function tcpSession(): Promise<{ sock: net.Socket; data: () => string; until: (pred: (s: string) => boolean) => Promise<string> }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(stack.port, '127.0.0.1');
    let buf = '';
    const waits: (() => void)[] = [];
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      waits.splice(0).forEach((w) => w());
    });
    sock.once('error', reject);
    sock.once('connect', () =>
      resolve({
        sock,
        data: () => buf,
        until: (pred) =>
          new Promise((res, rej) => {
            const t = setTimeout(() => rej(new Error(`not received; got ${JSON.stringify(buf)}`)), 5000);
            const check = () => (pred(buf) ? (clearTimeout(t), res(buf)) : waits.push(check));
            check();
          }),
      }),
    );
  });
}

test('RFC 5626 4.4.1: a CRLF-only datagram is dropped silently: no answer, not malformed, counted', async () => {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const got: string[] = [];
  sock.on('message', (m) => got.push(m.toString('latin1')));
  const before = { ...stack.stats.keepalives };
  const invalid = stack.stats.invalid;
  sock.send(Buffer.from('\r\n\r\n'), stack.port, '127.0.0.1');
  sock.send(Buffer.from(options('UDP', sock.address().port)), stack.port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no 200')), 5000);
    sock.on('message', (m) => m.toString().startsWith('SIP/2.0 200') && (clearTimeout(t), resolve()));
  });
  sock.close();
  expect(got).toHaveLength(1);
  expect(stack.stats.keepalives.UDP).toBe(before.UDP + 1);
  expect(stack.stats.invalid).toBe(invalid);
  expect(lines.filter((l) => l.msg === 'malformed SIP message dropped')).toHaveLength(0);
});

test('RFC 5626 4.4.2: a STUN Binding request on the SIP UDP port is answered with the sender\'s address', async () => {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const txid = Buffer.from('0102030405060708090a0b0c', 'hex');
  const before = stack.stats.keepalives.UDP;
  const invalid = stack.stats.invalid;
  const answer = new Promise<Buffer>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no STUN answer')), 5000);
    sock.once('message', (m) => (clearTimeout(t), resolve(m)));
  });
  sock.send(Buffer.concat([Buffer.from('000100002112a442', 'hex'), txid]), stack.port, '127.0.0.1');
  const rs = await answer;
  const port = sock.address().port;
  sock.close();
  expect(rs.readUInt16BE(0)).toBe(0x0101);
  expect(rs.subarray(8, 20).equals(txid)).toBe(true);
  // XOR-MAPPED-ADDRESS: family IPv4, port ^ 0x2112, 127.0.0.1 ^ 0x2112a442
  expect(rs.readUInt16BE(20)).toBe(0x0020);
  expect(rs.readUInt16BE(26) ^ 0x2112).toBe(port);
  expect(rs.subarray(28, 32).toString('hex')).toBe('5e12a443');
  expect(stack.stats.keepalives.UDP).toBe(before + 1);
  expect(stack.stats.invalid).toBe(invalid);
});

test('RFC 5626 4.4.1: over TCP a double CRLF is answered with exactly one CRLF', async () => {
  const s = await tcpSession();
  const before = stack.stats.keepalives.TCP;
  s.sock.write('\r\n\r\n');
  expect(await s.until((b) => b.length >= 2)).toBe('\r\n');
  expect(stack.stats.keepalives.TCP).toBe(before + 1);
  // the connection still carries SIP afterwards
  s.sock.write(options('TCP', s.sock.localPort!));
  await s.until((b) => b.includes('SIP/2.0 200'));
  s.sock.destroy();
});

test('RFC 5626 4.4.1: a ping between two requests in one write: two 200s and one pong', async () => {
  const s = await tcpSession();
  const invalid = stack.stats.invalid;
  s.sock.write(options('TCP', s.sock.localPort!) + '\r\n\r\n' + options('TCP', s.sock.localPort!));
  const all = await s.until((b) => frame(b).responses === 2 && frame(b).between === '\r\n');
  expect(frame(all)).toEqual({ responses: 2, between: '\r\n' });
  expect(stack.stats.invalid).toBe(invalid);
  s.sock.destroy();
});

test('the CRLFCRLF that ends a header section, split across writes, is no ping', async () => {
  const s = await tcpSession();
  const before = stack.stats.keepalives.TCP;
  const msg = options('TCP', s.sock.localPort!);
  s.sock.write(msg.slice(0, -2));
  await new Promise((r) => setTimeout(r, 20));
  s.sock.write('\r\n');
  const got = await s.until((b) => b.includes('SIP/2.0 200') && b.endsWith('\r\n\r\n'));
  expect(got.startsWith('SIP/2.0 200')).toBe(true);
  expect(stack.stats.keepalives.TCP).toBe(before);
  s.sock.destroy();
});
