import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { MsrpRelay } from '../../../src/msrp/relay';
import type { MsrpFrame } from '../../../src/msrp/wire';
import { bindSend, headerOf, rawPair, RawClient, sendText, until } from './helpers';

const tid = (): string => randomBytes(6).toString('hex');
const A_URI = 'msrp://127.0.0.1:9/rawA0001;tcp';
const B_URI = 'msrp://127.0.0.1:9/rawB0001;tcp';

describe('RFC 4975 sections 7.2 and 9: hostile input at the relay', () => {
  let relay: MsrpRelay;
  let port: number;
  let aLocal: string;

  beforeAll(async () => {
    relay = new MsrpRelay({ maxHeaderBytes: 16 * 1024 });
    port = (await relay.listen('127.0.0.1', 0)).port;
    aLocal = relay.createPair({ a: { remotePath: [A_URI] }, b: { remotePath: [B_URI] } }).aLocal;
  });
  afterAll(() => relay.close());

  /** The relay still serves: a fresh client gets an answer (481 for an unknown session). */
  async function stillServes(): Promise<void> {
    const c = await RawClient.open(port);
    const t = tid();
    c.write(sendText(t, 'msrp://127.0.0.1:1/unknown0;tcp', A_URI, 'ping'));
    await until(() => c.responses(t).length === 1, 'answer from a healthy relay');
    expect(c.responses(t)[0].head).toMatchObject({ status: 481 });
    c.end();
  }

  test('RFC 4975 section 9: random bytes never bring the relay down', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 4096 }), async (bytes) => {
        const c = await RawClient.open(port);
        c.write(Buffer.from(bytes));
        c.write(Buffer.from('\r\n'));
        await new Promise((r) => setTimeout(r, 2));
        c.end();
      }),
      { numRuns: 40 },
    );
    await stillServes();
    expect(relay.counters.parseErrors).toBeGreaterThan(0);
  });

  /**
   * A receiver's view of what crossed the relay before a complete message sent after it: the
   * barrier is a second pair whose B side shares the receiver's connection, so whatever the
   * relay forwarded of an earlier frame is on that connection ahead of the barrier message.
   */
  async function afterBarrier(b: RawClient): Promise<MsrpFrame[]> {
    const barrier = await rawPair(relay, port, { b });
    const t = tid();
    barrier.a.write(sendText(t, barrier.pair.aLocal, barrier.aUri, 'barrier'));
    await until(() => b.requests('SEND').some((f) => f.body.toString() === 'barrier'), 'the barrier message at the receiver');
    barrier.a.end();
    return b.requests().filter((f) => f.body.toString() !== 'barrier');
  }

  test('RFC 4975 section 9: a frame cut inside its headers, then a close: the receiver sees nothing of it', async () => {
    const { pair, a, b, aUri } = await rawPair(relay, port);
    const t = tid();
    a.write(`MSRP ${t} SEND\r\nTo-Path: ${pair.aLocal}\r\nFrom-Path: ${aUri}\r\nMessage-ID: m${t}\r\nContent-Type: text/pl`);
    a.end();
    expect(await afterBarrier(b)).toEqual([]);
    expect(b.closed).toBe(false);
    b.end();
    await stillServes();
  });

  test('RFC 4975 7.1: a frame cut inside its body, then a close: the receiver gets the bytes that came, ended with "#"', async () => {
    const { pair, a, b, aUri } = await rawPair(relay, port);
    const t = tid();
    const body = 'twenty bytes of text';
    const sent = body.slice(0, 10);
    const cut = `MSRP ${t} SEND\r\nTo-Path: ${pair.aLocal}\r\nFrom-Path: ${aUri}\r\nMessage-ID: m${t}\r\nByte-Range: 1-${body.length}/${body.length}\r\nContent-Type: text/plain\r\n\r\n${sent}`;
    const before = relay.counters.bytesIn;
    a.write(cut);
    // every byte written has reached the relay before the close
    await until(() => relay.counters.bytesIn >= before + cut.length, 'the cut frame read by the relay');
    a.end();
    const seen = await afterBarrier(b);
    expect(seen).toHaveLength(1);
    expect(seen[0].head).toMatchObject({ method: 'SEND' });
    expect(seen[0].flag).toBe('#');
    expect(headerOf(seen[0], 'Message-ID')).toBe(`m${t}`);
    expect(sent.startsWith(seen[0].body.toString())).toBe(true);
    b.end();
    await stillServes();
  });

  test('RFC 4975 7.2: a 1 MB header block is answered 400 (transaction id known) and the connection closed', async () => {
    const c = await RawClient.open(port);
    const t = tid();
    c.write(`MSRP ${t} SEND\r\nTo-Path: ${aLocal}\r\nFrom-Path: ${A_URI}\r\n`);
    c.write(`X-Big: ${'x'.repeat(1024 * 1024)}\r\n\r\nbody\r\n-------${t}$\r\n`);
    await until(() => c.closed, 'connection closed');
    expect(c.responses(t)[0]?.head).toMatchObject({ status: 400 });
    await stillServes();
  });

  test('RFC 4975 7.2: a missing end-line gets 400 for the broken request; the next frame is still served', async () => {
    const c = await RawClient.open(port);
    const t1 = tid();
    const t2 = tid();
    c.write(`MSRP ${t1} SEND\r\nTo-Path: ${aLocal}\r\nFrom-Path: ${A_URI}\r\n`);
    c.write(bindSend(t2, aLocal, A_URI));
    await until(() => c.responses().length === 2, 'two answers');
    expect(c.responses(t1)[0].head).toMatchObject({ status: 400 });
    expect(c.responses(t2)[0].head).toMatchObject({ status: 200 });
    // the bind above made this connection side A; unknown method on it: 501 (section 12)
    const t3 = tid();
    c.write(`MSRP ${t3} FOO\r\nTo-Path: ${aLocal}\r\nFrom-Path: ${A_URI}\r\n-------${t3}$\r\n`);
    // an end-line with another transaction id: 400
    const t4 = tid();
    c.write(`MSRP ${t4} SEND\r\nTo-Path: ${aLocal}\r\nFrom-Path: ${A_URI}\r\nMessage-ID: m${t4}\r\n-------${tid()}$\r\n`);
    // a request that breaks the header grammar: 400
    const t5 = tid();
    c.write(`MSRP ${t5} SEND\r\nFrom-Path: ${A_URI}\r\nTo-Path: ${aLocal}\r\nMessage-ID: m${t5}\r\n-------${t5}$\r\n`);
    await until(() => c.responses().length === 5, 'five answers');
    expect(c.responses(t3)[0].head).toMatchObject({ status: 501 });
    expect(c.responses(t4)[0].head).toMatchObject({ status: 400 });
    expect(c.responses(t5)[0].head).toMatchObject({ status: 400 });
    expect(c.closed).toBe(false);
    c.end();
    await stillServes();
    expect(relay.counters.errorResponsesSent).toBeGreaterThanOrEqual(5);
  });
});
