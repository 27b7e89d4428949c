import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { MsrpRelay } from '../../../src/msrp/relay';
import { bindSend, RawClient, sendText, until } from './helpers';

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

  test('RFC 4975 section 9: a truncated frame followed by a close is dropped', async () => {
    const c = await RawClient.open(port);
    c.write(`MSRP ${tid()} SEND\r\nTo-Path: ${aLocal}\r\nFrom-Path: ${A_URI}\r\nContent-Type: text/pl`);
    c.end();
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
