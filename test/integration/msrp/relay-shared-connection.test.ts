/**
 * Issue 16 item 2: RFC 4975 5.4 lets a client bind several sessions on one connection. When a
 * chunk of session 1 reached the relay in two TCP reads and a whole SEND of session 2 arrived
 * in between, the relay wrote session 2's frame into the middle of session 1's body on the
 * shared outbound connection. The test forces exactly that split over loopback sockets.
 */
import { MsrpRelay } from '../../../src/msrp/relay';
import { freshSessionWorks, headerOf, RawClient, rawPair, sendText, until } from './helpers';

describe('issue 16 item 2: one producer at a time on a shared outbound connection (RFC 4975 5.4)', () => {
  let relay: MsrpRelay;
  let port: number;

  beforeEach(async () => {
    relay = new MsrpRelay();
    port = (await relay.listen('127.0.0.1', 0)).port;
  });
  afterEach(() => relay.close());

  test('RFC 4975 5.4: a SEND of session 2 arriving between two reads of a session-1 chunk is held, not spliced into it', async () => {
    const shared = await RawClient.open(port);
    const p1 = await rawPair(relay, port, { b: shared });
    const p2 = await rawPair(relay, port, { b: shared });
    const t1 = 'split0001x';
    const t2 = 'whole0002x';
    const body1 = `first half of session 1 | second half of session 1`;
    const frame1 = sendText(t1, p1.pair.aLocal, p1.aUri, body1);
    const cut = frame1.indexOf('| second');
    const before = relay.counters.bytesIn;
    p1.a.write(frame1.slice(0, cut));
    // the relay has read (and forwarded) the first part: the chunk is open on the shared leg
    await until(() => relay.counters.bytesIn >= before + cut, 'first read of the session-1 chunk');
    p2.a.write(sendText(t2, p2.pair.aLocal, p2.aUri, 'session 2 says hi'));
    await until(() => p2.a.responses(t2).length === 1, 'hop-by-hop answer to session 2');
    expect(p2.a.responses(t2)[0].head).toMatchObject({ status: 200 });
    p1.a.write(frame1.slice(cut));
    await until(() => shared.requests('SEND').length === 2, 'both SENDs on the shared connection');
    const [f1, f2] = shared.requests('SEND');
    // session 1's chunk whole and first (it was open), session 2's after it, each to its session
    expect(headerOf(f1, 'To-Path')).toBe(p1.bUri);
    expect(f1.body.toString()).toBe(body1);
    expect(f1.flag).toBe('$');
    expect(headerOf(f2, 'To-Path')).toBe(p2.bUri);
    expect(f2.body.toString()).toBe('session 2 says hi');
    expect(relay.counters.framesHeld).toBe(1);
    // session 2's client was paused while its frame waited; it is read again: a next SEND flows
    const t3 = 'after0003x';
    p2.a.write(sendText(t3, p2.pair.aLocal, p2.aUri, 'and again'));
    await until(() => shared.requests('SEND').length === 3, 'next SEND of session 2');
    expect(shared.requests('SEND')[2].body.toString()).toBe('and again');
    expect(relay.counters.handlerErrors).toBe(0);
    for (const c of [p1.a, p2.a, shared]) c.end();
    await freshSessionWorks(relay);
  });

  test('RFC 4975 7.1: a held frame whose sender vanishes mid-chunk goes out ended with "#"; the other session is unharmed', async () => {
    const shared = await RawClient.open(port);
    const p1 = await rawPair(relay, port, { b: shared });
    const p2 = await rawPair(relay, port, { b: shared });
    const frame1 = sendText('openA001x', p1.pair.aLocal, p1.aUri, 'session 1 body that is long enough');
    const before = relay.counters.bytesIn;
    p1.a.write(frame1.slice(0, frame1.length - 40));
    await until(() => relay.counters.bytesIn >= before + frame1.length - 40, 'session-1 chunk open');
    // session 2's chunk starts and breaks off while held: its client disconnects mid-frame
    const frame2 = sendText('heldB002x', p2.pair.aLocal, p2.aUri, 'session 2 never finishes this');
    p2.a.write(frame2.slice(0, frame2.length - 20));
    await until(() => relay.counters.framesHeld === 1, 'session-2 frame held');
    p2.a.end();
    await until(() => relay.counters.liveLegs === 3, 'session-2 A leg gone');
    p1.a.write(frame1.slice(frame1.length - 40));
    await until(() => shared.requests('SEND').length === 2, 'both frames on the shared connection');
    const [f1, f2] = shared.requests('SEND');
    expect(f1.body.toString()).toBe('session 1 body that is long enough');
    expect(f1.flag).toBe('$');
    expect(headerOf(f2, 'To-Path')).toBe(p2.bUri);
    expect(f2.flag).toBe('#');
    for (const c of [p1.a, shared]) c.end();
    await freshSessionWorks(relay);
  });

  describe('attack finding F2: a sender trickling one chunk cannot hold the other sessions of a shared leg', () => {
    let held: MsrpRelay;
    let hport: number;

    beforeEach(async () => {
      held = new MsrpRelay({ frameHoldMs: 300 });
      hport = (await held.listen('127.0.0.1', 0)).port;
    });
    afterEach(() => held.close());

    test('RFC 4975 5.4 / 7.1 / 10.5: after frameHoldMs the trickled chunk ends with "#" and its sender gets 413; the held SEND goes out', async () => {
      const shared = await RawClient.open(hport);
      const p1 = await rawPair(held, hport, { b: shared });
      const p2 = await rawPair(held, hport, { b: shared });
      const frame1 = sendText('trickle1x', p1.pair.aLocal, p1.aUri, 'partial ........................ never finished');
      const open = frame1.indexOf('partial') + 'partial'.length;
      p1.a.write(frame1.slice(0, open));
      await until(() => held.counters.framesForwarded === 0 && held.counters.bytesIn >= open, 'session-1 chunk open');
      p2.a.write(sendText('victim02x', p2.pair.aLocal, p2.aUri, 'session 2 is not held forever'));
      await until(() => held.counters.framesHeld === 1, 'session-2 frame held');
      // the trickle: a byte now and then, each of them progress, none of them the end
      const trickle = setInterval(() => p1.a.write('.'), 50);
      try {
        await until(() => shared.requests('SEND').length === 2, 'both frames on the shared connection');
      } finally {
        clearInterval(trickle);
      }
      const [f1, f2] = shared.requests('SEND');
      expect(headerOf(f1, 'To-Path')).toBe(p1.bUri);
      expect(f1.flag).toBe('#');
      expect(headerOf(f2, 'To-Path')).toBe(p2.bUri);
      expect(f2.body.toString()).toBe('session 2 is not held forever');
      expect(f2.flag).toBe('$');
      await until(() => p1.a.responses('trickle1x').length === 1, '413 to the trickling sender');
      expect(p1.a.responses('trickle1x')[0].head).toMatchObject({ status: 413 });
      expect(held.counters.framesCut).toBe(1);
      // attack finding F3: bytes written count (imedge_msrp{figure="bytesOut"} read 0)
      expect(held.counters.bytesOut).toBeGreaterThan(held.counters.bodyBytesForwarded);
      // the rest of the cut chunk is dropped, and its sender's next SEND flows again
      p1.a.write(frame1.slice(open));
      p1.a.write(sendText('again003x', p1.pair.aLocal, p1.aUri, 'a fresh message'));
      await until(() => shared.requests('SEND').length === 3, 'session 1 sends again');
      expect(shared.requests('SEND')[2].body.toString()).toBe('a fresh message');
      expect(held.counters.handlerErrors).toBe(0);
      for (const c of [p1.a, p2.a, shared]) c.end();
      await freshSessionWorks(held);
    });

    test('RFC 4975 5.4: a slow chunk that holds nobody back is never cut', async () => {
      const shared = await RawClient.open(hport);
      const p1 = await rawPair(held, hport, { b: shared });
      const frame1 = sendText('alone001x', p1.pair.aLocal, p1.aUri, 'slow but alone on its leg');
      for (let i = 0; i < frame1.length; i += 8) {
        p1.a.write(frame1.slice(i, i + 8));
        await new Promise((r) => setTimeout(r, 40));
      }
      await until(() => shared.requests('SEND').length === 1, 'the slow chunk arrives');
      expect(shared.requests('SEND')[0].flag).toBe('$');
      expect(shared.requests('SEND')[0].body.toString()).toBe('slow but alone on its leg');
      expect(held.counters.framesCut).toBe(0);
      for (const c of [p1.a, shared]) c.end();
    });

    test('attack findings F4 and F2: a later chunk of the cut message gets 413 too; a third cut within a minute closes the trickler\'s connection', async () => {
      const shared = await RawClient.open(hport);
      const p1 = await rawPair(held, hport, { b: shared });
      const p2 = await rawPair(held, hport, { b: shared });
      const trickle = async (tid: string, messageId: string, victimTid: string): Promise<void> => {
        p1.a.write(`MSRP ${tid} SEND\r\nTo-Path: ${p1.pair.aLocal}\r\nFrom-Path: ${p1.aUri}\r\nMessage-ID: ${messageId}\r\nByte-Range: 1-*/*\r\nContent-Type: text/plain\r\n\r\npartial`);
        await until(() => shared.received().includes(`${tid} SEND`) && shared.received().endsWith('partial'), `${tid} open on the shared leg`);
        p2.a.write(sendText(victimTid, p2.pair.aLocal, p2.aUri, `waiting ${victimTid}`));
        const timer = setInterval(() => p1.a.write('.'), 50);
        try {
          await until(() => p1.a.responses(tid).length === 1, `413 for ${tid}`);
        } finally {
          clearInterval(timer);
        }
        expect(p1.a.responses(tid)[0].head).toMatchObject({ status: 413 });
        p1.a.write(`\r\n-------${tid}#\r\n`);
      };
      await trickle('cutone01x', 'msgcut01', 'victim01x');
      // RFC 4975 10.5: the sender was told to stop this message; a later chunk of it is refused
      p1.a.write(`MSRP contin01x SEND\r\nTo-Path: ${p1.pair.aLocal}\r\nFrom-Path: ${p1.aUri}\r\nMessage-ID: msgcut01\r\nByte-Range: 9-12/12\r\nContent-Type: text/plain\r\n\r\nabcd\r\n-------contin01x$\r\n`);
      await until(() => p1.a.responses('contin01x').length === 1, 'answer to the later chunk');
      expect(p1.a.responses('contin01x')[0].head).toMatchObject({ status: 413 });
      expect(shared.requests('SEND').some((f) => f.head.transactionId === 'contin01x')).toBe(false);
      await trickle('cuttwo02x', 'msgcut02', 'victim02x');
      expect(p1.a.closed).toBe(false);
      await trickle('cutthr03x', 'msgcut03', 'victim03x');
      await until(() => p1.a.closed, "the trickler's connection closed after its third cut");
      expect(held.net.counters.closedForHolding).toBe(1);
      expect(held.counters.framesCut).toBe(3);
      // every waiting message went out, each once
      const victims = shared.requests('SEND').filter((f) => f.head.transactionId.startsWith('victim'));
      expect(victims.map((f) => f.head.transactionId)).toEqual(['victim01x', 'victim02x', 'victim03x']);
      for (const c of [p2.a, shared]) c.end();
    });
  });
});
