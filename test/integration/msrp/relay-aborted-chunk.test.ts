/**
 * Outside attack (t06 / t05 section 3): a SEND chunk whose end-line flag is '#' (the sender
 * aborts the message, RFC 4975 7.1) was forwarded to B, B answered 200, but A never got any
 * transaction response. RFC 4975 7.2 / RFC 4976 7.3: every SEND gets a response (unless
 * Failure-Report says otherwise), an aborted chunk too. Real loopback sockets, raw A and B.
 */
import { MsrpRelay } from '../../../src/msrp/relay';
import { freshSessionWorks, headerOf, RawClient, rawPair, sendText, until, type RawPair } from './helpers';

let seq = 0;
const nextTid = (): string => `ab${(++seq).toString().padStart(4, '0')}x${process.pid}`;

function chunk(tid: string, p: Pick<RawPair, 'pair' | 'aUri'>, mid: string, range: string, body: string, flag: '$' | '+' | '#', extra = ''): string {
  return (
    `MSRP ${tid} SEND\r\nTo-Path: ${p.pair.aLocal}\r\nFrom-Path: ${p.aUri}\r\nMessage-ID: ${mid}\r\n${extra}` +
    `Byte-Range: ${range}\r\nContent-Type: text/plain\r\n\r\n${body}\r\n-------${tid}${flag}\r\n`
  );
}

/** B's 200 to a request it received (RFC 4975 7.2: To-Path the previous hop). */
function okFrom(b: RawClient, tid: string): string {
  const f = b.requests('SEND').find((r) => r.head.transactionId === tid);
  if (f === undefined) throw new Error(`no SEND ${tid} at B`);
  return `MSRP ${tid} 200 OK\r\nTo-Path: ${headerOf(f, 'From-Path')}\r\nFrom-Path: ${headerOf(f, 'To-Path')}\r\n-------${tid}$\r\n`;
}

describe("RFC 4975 7.1 / 7.2, RFC 4976 7.3: a chunk aborted with '#' still gets its transaction response through the relay", () => {
  let relay: MsrpRelay;
  let port: number;

  beforeEach(async () => {
    relay = new MsrpRelay({ transactionTimeoutMs: 1500 });
    port = (await relay.listen('127.0.0.1', 0)).port;
  });
  afterEach(async () => {
    await freshSessionWorks(relay);
    expect(relay.counters.handlerErrors).toBe(0);
    await relay.close();
  });

  test("RFC 4975 7.2: A's '#' chunk is answered 200 (B answers it too), and a later '$' message still flows", async () => {
    const p = await rawPair(relay, port);
    const t1 = nextTid();
    const t2 = nextTid();
    const t3 = nextTid();
    p.a.write(chunk(t1, p, 'mabort', '1-5/10', 'AAAAA', '+'));
    p.a.write(chunk(t2, p, 'mabort', '6-10/10', 'BBBBB', '#'));
    await until(() => p.b.requests('SEND').length === 2, 'both chunks at B');
    const [f1, f2] = p.b.requests('SEND');
    expect(f1.flag).toBe('+');
    expect(f2.flag).toBe('#');
    expect(f2.body.toString()).toBe('BBBBB');
    p.b.write(okFrom(p.b, t1));
    p.b.write(okFrom(p.b, t2));
    await until(() => p.a.responses(t1).length === 1 && p.a.responses(t2).length === 1, "answers to the '+' and '#' chunks");
    expect(p.a.responses(t1)[0].head).toMatchObject({ kind: 'response', status: 200 });
    expect(p.a.responses(t2)[0].head).toMatchObject({ kind: 'response', status: 200 });
    // the next message goes through as usual
    p.a.write(sendText(t3, p.pair.aLocal, p.aUri, 'after the abort'));
    await until(() => p.b.requests('SEND').length === 3, "the '$' message at B");
    expect(p.b.requests('SEND')[2].body.toString()).toBe('after the abort');
    p.b.write(okFrom(p.b, t3));
    await until(() => p.a.responses(t3).length === 1, "answer to the '$' message");
    expect(p.a.responses(t3)[0].head).toMatchObject({ status: 200 });
    // exactly one answer each, and B's 200s ended at the relay: no failure REPORT to A
    await new Promise((r) => setTimeout(r, 100));
    expect(p.a.responses()).toHaveLength(4); // the bind + the three chunks
    expect(p.a.requests('REPORT')).toHaveLength(0);
    p.a.end();
    p.b.end();
  });

  test("RFC 4976 7.3: the relay answers the '#' chunk hop by hop, before (and without) B's 200", async () => {
    const p = await rawPair(relay, port);
    const t = nextTid();
    p.a.write(chunk(t, p, 'mabort2', '1-5/10', 'AAAAA', '#'));
    await until(() => p.b.requests('SEND').length === 1, "the '#' chunk at B");
    // B has not answered: A's 200 comes from the relay
    await until(() => p.a.responses(t).length === 1, "hop-by-hop answer to the '#' chunk");
    expect(p.a.responses(t)[0].head).toMatchObject({ status: 200 });
    expect(p.b.responses()).toHaveLength(1); // only B's own bind answer
    p.b.write(okFrom(p.b, t));
    const t2 = nextTid();
    p.a.write(sendText(t2, p.pair.aLocal, p.aUri, 'next'));
    await until(() => p.a.responses(t2).length === 1, "answer to the '$' message");
    expect(p.a.responses(t2)[0].head).toMatchObject({ status: 200 });
    expect(p.a.responses(t)).toHaveLength(1);
    p.a.end();
    p.b.end();
  });

  test("RFC 4975 7.2: a '#' chunk with Failure-Report: no gets no response; with partial no 200", async () => {
    const p = await rawPair(relay, port);
    const tNo = nextTid();
    const tPartial = nextTid();
    p.a.write(chunk(tNo, p, 'mno', '1-5/10', 'AAAAA', '#', 'Failure-Report: no\r\n'));
    p.a.write(chunk(tPartial, p, 'mpartial', '1-5/10', 'AAAAA', '#', 'Failure-Report: partial\r\n'));
    const t = nextTid();
    p.a.write(sendText(t, p.pair.aLocal, p.aUri, 'barrier'));
    await until(() => p.a.responses(t).length === 1, 'answer to the barrier');
    expect(p.a.responses(tNo)).toHaveLength(0);
    expect(p.a.responses(tPartial)).toHaveLength(0);
    p.a.end();
    p.b.end();
  });

  test("a frame broken off by its sender's connection loss ('#' without an end-line) is not answered, B sees it end with '#'", async () => {
    const p = await rawPair(relay, port);
    const t = nextTid();
    const before = relay.counters.okSent;
    const frame = `MSRP ${t} SEND\r\nTo-Path: ${p.pair.aLocal}\r\nFrom-Path: ${p.aUri}\r\nMessage-ID: m${t}\r\nByte-Range: 1-10/10\r\nContent-Type: text/plain\r\n\r\nhalf`;
    const bytesBefore = relay.counters.bytesIn;
    p.a.write(frame);
    await until(() => relay.counters.bytesIn >= bytesBefore + frame.length, 'the cut frame read by the relay');
    p.a.end();
    await until(() => p.b.requests('SEND').length === 1, 'the broken frame ended at B');
    expect(p.b.requests('SEND')[0].flag).toBe('#');
    expect(relay.counters.okSent).toBe(before);
    p.b.end();
  });
});
