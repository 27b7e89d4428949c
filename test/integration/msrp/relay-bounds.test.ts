/**
 * A third outside attack on the relay's shared legs (RFC 4975 5.4):
 * - F1: an endless chunk (Byte-Range 1-* / *) streamed a little over one ring per frameHoldMs
 *   was never cut, so another session's SEND on the shared leg waited until its sender's
 *   transaction timed out (REPORT 408), for as long as the trickle went on;
 * - F2: msrp.maxMessageSize was not enforced by the relay (a declared total above it, one
 *   whole SEND above it, an open-ended chunk above it: all 200 and forwarded);
 * - F3: the three-strikes close was counted but not exported (imedge_msrp closedForHolding).
 * Real loopback sockets; the relay runs with small bounds so the periods are short.
 */
import { MsrpRelay } from '../../../src/msrp/relay';
import { freshSessionWorks, headerOf, RawClient, rawPair, sendText, until } from './helpers';

describe('third attack on the relay: frames and messages are bounded (RFC 4975 5.4, 7.1, 10.5)', () => {
  let relay: MsrpRelay;
  let port: number;

  beforeEach(async () => {
    // ring 4 KiB, hold period 300 ms, transaction timeout 1.2 s: at most 2 periods whatever the rate
    relay = new MsrpRelay({ frameHoldMs: 300, transactionTimeoutMs: 1200, ringBytes: 4096, maxMessageSize: 2048 });
    port = (await relay.listen('127.0.0.1', 0)).port;
  });
  afterEach(() => relay.close());

  test('F1, RFC 4975 5.4: a chunk that brings a ring per period is cut once the frame it holds waited half its transaction timeout', async () => {
    // a relay whose message bound does not stop the stream first
    const big = new MsrpRelay({ frameHoldMs: 300, transactionTimeoutMs: 1200, ringBytes: 4096 });
    const bport = (await big.listen('127.0.0.1', 0)).port;
    try {
      const shared = await RawClient.open(bport);
      const p1 = await rawPair(big, bport, { b: shared });
      const p2 = await rawPair(big, bport, { b: shared });
      p1.a.write(`MSRP steady01 SEND\r\nTo-Path: ${p1.pair.aLocal}\r\nFrom-Path: ${p1.aUri}\r\nMessage-ID: msteady01\r\nByte-Range: 1-*/*\r\nContent-Type: text/plain\r\n\r\nstart`);
      await until(() => shared.received().endsWith('start'), 'the steady chunk open on the shared leg');
      p2.a.write(sendText('victim001', p2.pair.aLocal, p2.aUri, 'not held for good'));
      await until(() => big.counters.framesHeld === 1, 'the victim frame held');
      const heldAt = Date.now();
      // 2 KiB every 50 ms: 12 KiB per 300 ms period, three rings
      const flow = setInterval(() => p1.a.write('x'.repeat(2048)), 50);
      try {
        await until(() => shared.requests('SEND').length === 2, 'both frames on the shared leg');
      } finally {
        clearInterval(flow);
      }
      expect(Date.now() - heldAt).toBeGreaterThanOrEqual(500);
      const [f1, f2] = shared.requests('SEND');
      expect(headerOf(f1, 'To-Path')).toBe(p1.bUri);
      expect(f1.flag).toBe('#');
      expect(headerOf(f2, 'To-Path')).toBe(p2.bUri);
      expect(f2.body.toString()).toBe('not held for good');
      await until(() => p1.a.responses('steady01').length === 1, '413 to the steady sender');
      expect(p1.a.responses('steady01')[0].head).toMatchObject({ status: 413 });
      expect(big.counters.framesCut).toBe(1);
      expect(big.counters.handlerErrors).toBe(0);
      for (const c of [p1.a, p2.a, shared]) c.end();
    } finally {
      await big.close();
    }
  });

  test('F2, RFC 4975 7.1 / 10.4: a message above msrp.maxMessageSize is refused 413 by the relay, by its Byte-Range or where its bytes pass the limit', async () => {
    const p = await rawPair(relay, port);
    const head = (tid: string, mid: string, range: string) =>
      `MSRP ${tid} SEND\r\nTo-Path: ${p.pair.aLocal}\r\nFrom-Path: ${p.aUri}\r\nMessage-ID: ${mid}\r\nByte-Range: ${range}\r\nContent-Type: text/plain\r\n\r\n`;
    // a declared total above the limit: refused at the head, nothing forwarded
    p.a.write(`${head('total001', 'mtotal', '1-10/5000')}0123456789\r\n-------total001$\r\n`);
    // a range that starts beyond it
    p.a.write(`${head('start001', 'mstart', '3001-3010/*')}0123456789\r\n-------start001$\r\n`);
    await until(() => p.a.responses('total001').length === 1 && p.a.responses('start001').length === 1, 'answers to the declared ones');
    expect(p.a.responses('total001')[0].head).toMatchObject({ status: 413 });
    expect(p.a.responses('start001')[0].head).toMatchObject({ status: 413 });
    // one whole SEND above it with a total of * (no declared size): cut where it passes 2048
    p.a.write(`${head('whole001', 'mwhole', '1-*/*')}${'w'.repeat(3000)}\r\n-------whole001$\r\n`);
    await until(() => p.a.responses('whole001').length === 1, 'answer to the oversize SEND');
    expect(p.a.responses('whole001')[0].head).toMatchObject({ status: 413 });
    await until(() => p.b.requests('SEND').length === 1, 'its copy at B');
    const cut = p.b.requests('SEND')[0];
    expect(cut.flag).toBe('#');
    expect(cut.body.length).toBeLessThanOrEqual(2048);
    // a later chunk of that message is refused too (RFC 4975 10.5)
    p.a.write(`${head('whole002', 'mwhole', '3001-3004/*')}tail\r\n-------whole002$\r\n`);
    await until(() => p.a.responses('whole002').length === 1, 'answer to the later chunk');
    expect(p.a.responses('whole002')[0].head).toMatchObject({ status: 413 });
    // the limit itself goes through, byte for byte
    const body = 'k'.repeat(2048);
    p.a.write(sendText('exact001', p.pair.aLocal, p.aUri, body));
    await until(() => p.b.requests('SEND').length === 2, 'the message of the limit at B');
    expect(p.b.requests('SEND')[1].body.toString()).toBe(body);
    expect(p.b.requests('SEND')[1].flag).toBe('$');
    expect(relay.counters.oversizeRefused).toBe(3);
    expect(p.b.requests('SEND').some((f) => ['total001', 'start001', 'whole002'].includes(f.head.transactionId))).toBe(false);
    for (const c of [p.a, p.b]) c.end();
    await freshSessionWorks(relay);
  });

  test('F3: a connection closed for holding others is counted where the metrics read it (imedge_msrp closedForHolding)', async () => {
    const shared = await RawClient.open(port);
    const p1 = await rawPair(relay, port, { b: shared });
    const p2 = await rawPair(relay, port, { b: shared });
    for (let i = 1; i <= 3; i++) {
      const tid = `cut${i}xxxxx`;
      p1.a.write(`MSRP ${tid} SEND\r\nTo-Path: ${p1.pair.aLocal}\r\nFrom-Path: ${p1.aUri}\r\nMessage-ID: mcut${i}\r\nByte-Range: 1-*/*\r\nContent-Type: text/plain\r\n\r\npartial`);
      await until(() => shared.received().includes(`${tid} SEND`) && shared.received().endsWith('partial'), `${tid} open on the shared leg`);
      p2.a.write(sendText(`wait${i}xxxx`, p2.pair.aLocal, p2.aUri, `waiting ${i}`));
      await until(() => p1.a.responses(tid).length === 1, `413 for ${tid}`);
      if (i < 3) p1.a.write(`\r\n-------${tid}#\r\n`);
    }
    await until(() => p1.a.closed, "the holder's connection closed after its third cut");
    expect(relay.counters.closedForHolding).toBe(1);
    for (const c of [p2.a, shared]) c.end();
  });
});
