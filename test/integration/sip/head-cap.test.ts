// Issue 8 item 3: sip.maxBytesHeaders bounds the head on both transports. A request over the
// cap is answered 513 when the top of its head (cut at the last CRLF within the cap) holds a
// Via, over UDP as over TCP (which then closes the connection: the rest cannot be framed).
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { SipStack } from '../../../src/sip/stack';
import { silentLogger } from '../../../src/log';
import { parseWire, header, rid } from '../../helpers/sip-peer';

const CAP = 16 * 1024;

async function startStack(): Promise<SipStack> {
  return SipStack.start(
    { bind: '127.0.0.1', port: 0, udp: true, tcp: true, maxBytesHeaders: CAP, maxContentLength: 65536, maxTransactions: 4096, overloadRetryAfterS: 5, logger: silentLogger() },
    (r) => r.reply(200),
  );
}

/** An OPTIONS whose head (start line to the last header, without the final CRLFCRLF) is headLen bytes. */
function optionsOfHeadLength(transport: 'UDP' | 'TCP', headLen: number, branch: string, viaAfterPad = false): string {
  const start = 'OPTIONS sip:localhost SIP/2.0';
  const via = `Via: SIP/2.0/${transport} 127.0.0.1:5070;branch=z9hG4bK${branch}`;
  const rest = ['Max-Forwards: 70', 'From: <sip:a@localhost>;tag=1', 'To: <sip:localhost>', `Call-ID: ${branch}`, 'CSeq: 1 OPTIONS', 'Content-Length: 0'];
  const lines = viaAfterPad ? [start, 'X-Pad: ', via, ...rest] : [start, via, ...rest, 'X-Pad: '];
  const fixed = lines.join('\r\n').length;
  if (headLen < fixed) throw new RangeError('head too short for its headers');
  const padded = lines.map((l) => (l === 'X-Pad: ' ? l + 'p'.repeat(headLen - fixed) : l));
  return padded.join('\r\n') + '\r\n\r\n';
}

function udpExchange(port: number, data: string, until: () => boolean): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    let answer: string | undefined;
    s.on('message', (d) => (answer = d.toString('latin1')));
    s.bind(0, '127.0.0.1', () => {
      s.send(Buffer.from(data, 'latin1'), port, '127.0.0.1');
      // Behaviour, not timing: wait for an answer or for the stack to count the datagram.
      const poll = setInterval(() => {
        if (answer !== undefined || until()) {
          clearInterval(poll);
          // a 513 sent right before the count arrives on the next turn of the loop
          setTimeout(() => (s.close(), resolve(answer)), 50);
        }
      }, 5);
    });
  });
}

function tcpExchange(port: number, data: string): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    s.on('data', (d) => (text += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('connect', () => s.write(Buffer.from(data, 'latin1')));
    // The server closes the connection after any answer: resolve on close.
    s.on('close', () => resolve({ text, closed: true }));
  });
}

describe('sip.maxBytesHeaders on both transports (RFC 3261 21.5.7, 18.3)', () => {
  let stack: SipStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  test.each(['UDP', 'TCP'] as const)('a head of exactly the cap is served (%s)', async (transport) => {
    const branch = rid();
    const msg = optionsOfHeadLength(transport, CAP, branch);
    if (transport === 'UDP') {
      const before = stack.stats.responsesOut['200'] ?? 0;
      const got = await udpExchange(stack.port, msg, () => (stack.stats.responsesOut['200'] ?? 0) > before);
      expect(got).toMatch(/^SIP\/2\.0 200 /);
    } else {
      // the head arrives with its CRLFCRLF split over two writes: the cap still holds it
      const got = await new Promise<string>((resolve) => {
        const s = net.connect(stack.port, '127.0.0.1', () => {
          s.write(msg.slice(0, -2));
          setImmediate(() => s.write(msg.slice(-2)));
        });
        let text = '';
        s.on('data', (d) => {
          text += d.toString('latin1');
          if (text.includes('\r\n\r\n')) (s.destroy(), resolve(text));
        });
      });
      expect(got).toMatch(/^SIP\/2\.0 200 /);
    }
  });

  test('the stream parser keeps a head of exactly the cap whose CRLFCRLF is still arriving', () => {
    const sip = require('sip') as { makeStreamParser: (...a: unknown[]) => (d: string) => void };
    const got: unknown[] = [];
    const errors: string[] = [];
    const feed = sip.makeStreamParser((m: unknown) => got.push(m), () => undefined, CAP, 65536, (reason: string) => errors.push(reason));
    const msg = optionsOfHeadLength('TCP', CAP, rid());
    for (const cut of [msg.length - 3, msg.length - 2, msg.length - 1]) {
      feed(msg.slice(0, cut));
      feed(msg.slice(cut));
    }
    expect(errors).toEqual([]);
    expect(got).toHaveLength(3);
  });

  test('RFC 3261 21.5.7: UDP, a head one byte over the cap with its Via on top is answered 513', async () => {
    const branch = rid();
    const rejected = stack.stats.rejected;
    const got = await udpExchange(stack.port, optionsOfHeadLength('UDP', CAP + 1, branch), () => stack.stats.rejected > rejected);
    expect(got).toMatch(/^SIP\/2\.0 513 Message Too Large\r\n/);
    const rs = parseWire(Buffer.from(got!, 'latin1'))!;
    expect(header(rs, 'via')).toContain(`branch=z9hG4bK${branch}`);
    expect(header(rs, 'call-id')).toBe(branch);
    expect(stack.stats.responsesOut['513']).toBeGreaterThanOrEqual(1);
  });

  test('RFC 3261 21.5.7: TCP, a head over the cap with its Via on top is answered 513, then the connection is closed', async () => {
    const branch = rid();
    const r = await tcpExchange(stack.port, optionsOfHeadLength('TCP', 60_000, branch));
    expect(r.text).toMatch(/^SIP\/2\.0 513 Message Too Large\r\n/);
    expect(header(parseWire(Buffer.from(r.text, 'latin1'))!, 'via')).toContain(`branch=z9hG4bK${branch}`);
    expect(r.closed).toBe(true);
  });

  test('UDP: a head over the cap whose Via lies beyond it gets no answer and is counted as dropped', async () => {
    const dropped = stack.stats.dropped;
    const got = await udpExchange(stack.port, optionsOfHeadLength('UDP', 40_000, rid(), true), () => stack.stats.dropped > dropped);
    expect(got).toBeUndefined();
    expect(stack.stats.dropped).toBe(dropped + 1);
  });

  test('TCP: a head over the cap whose Via lies beyond it closes the connection without an answer', async () => {
    const r = await tcpExchange(stack.port, optionsOfHeadLength('TCP', 40_000, rid(), true));
    expect(r).toEqual({ text: '', closed: true });
  });
});
