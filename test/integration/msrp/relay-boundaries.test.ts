/**
 * Issue 8 items on the MSRP relay: a failure report it owes is never dropped silently when its
 * transaction waiter is full, and a network handler that throws closes that one connection and
 * is counted.
 */
import { MsrpRelay } from '../../../src/msrp/relay';
import { parseStatus } from '../../../src/msrp/wire';
import { freshSessionWorks, headerOf, RawClient, rawPair, sendText, until } from './helpers';

describe('issue 8: the relay never loses a failure report it owes (RFC 4975 7.1.2, RFC 4976 7.3)', () => {
  test('RFC 4976 7.3: the next hop waiter is full -> the SEND is refused 403 before forwarding, and counted', async () => {
    const relay = new MsrpRelay({ maxPendingTransactions: 2 });
    const { port } = await relay.listen('127.0.0.1', 0);
    const p = await rawPair(relay, port);
    try {
      // B never answers: two SENDs fill the waiter of B's connection
      for (const t of ['full0001', 'full0002', 'full0003']) p.a.write(sendText(t, p.pair.aLocal, p.aUri, 'hi'));
      await until(() => p.a.responses().length === 4, 'answers to the three SENDs'); // + the bind's
      expect(p.a.responses('full0001')[0].head).toMatchObject({ status: 200 });
      expect(p.a.responses('full0002')[0].head).toMatchObject({ status: 200 });
      expect(p.a.responses('full0003')[0].head).toMatchObject({ status: 403 });
      await until(() => p.b.requests('SEND').length === 2, 'two SENDs at B');
      expect(relay.counters.forwardsRefused).toBe(1);
    } finally {
      p.a.end();
      p.b.end();
      await relay.close();
    }
  });

  test('RFC 4976 7.3: the waiter fills while a chunk streams -> 200 and a failure REPORT 408 instead of silence, counted', async () => {
    const relay = new MsrpRelay({ maxPendingTransactions: 1 });
    const { port } = await relay.listen('127.0.0.1', 0);
    const shared = await RawClient.open(port);
    const p1 = await rawPair(relay, port, { b: shared });
    const p2 = await rawPair(relay, port, { b: shared });
    try {
      // session 1's chunk is open on the shared leg (the waiter had room at its head) ...
      const frame1 = sendText('race0001', p1.pair.aLocal, p1.aUri, 'streamed in two reads');
      const before = relay.counters.bytesIn;
      p1.a.write(frame1.slice(0, frame1.length - 30));
      await until(() => relay.counters.bytesIn >= before + frame1.length - 30, 'chunk open');
      // ... session 2's whole SEND is held behind it and takes the only waiter slot
      p2.a.write(sendText('race0002', p2.pair.aLocal, p2.aUri, 'held'));
      await until(() => p2.a.responses('race0002').length === 1, 'session 2 answered');
      p1.a.write(frame1.slice(frame1.length - 30));
      await until(() => p1.a.requests('REPORT').length === 1, 'failure REPORT to session 1');
      expect(p1.a.responses('race0001')[0].head).toMatchObject({ status: 200 });
      const r = p1.a.requests('REPORT')[0];
      expect(headerOf(r, 'Message-ID')).toBe('mrace0001');
      expect(parseStatus(headerOf(r, 'Status') as string)).toMatchObject({ code: 408 });
      expect(relay.counters.forwardsUntracked).toBe(1);
      // the chunk itself still went out whole, in order
      await until(() => shared.requests('SEND').length === 2, 'both SENDs at B');
      expect(shared.requests('SEND')[0].body.toString()).toBe('streamed in two reads');
    } finally {
      for (const c of [p1.a, p2.a, shared]) c.end();
      await relay.close();
    }
  });
});

describe('issue 8: a network handler that throws closes that one connection and is counted', () => {
  test('a relay hook throwing on the socket-close path (onLegDown) is counted; the relay keeps serving', async () => {
    const relay = new MsrpRelay();
    const { port } = await relay.listen('127.0.0.1', 0);
    relay.onLegDown = () => {
      throw new Error('session layer bug');
    };
    const p = await rawPair(relay, port);
    try {
      p.a.end();
      await until(() => relay.counters.handlerErrors === 1, 'the throw counted');
      // the other leg of the pair is untouched, and new sessions work
      expect(p.b.closed).toBe(false);
      relay.onLegDown = undefined;
      await freshSessionWorks(relay);
    } finally {
      p.b.end();
      await relay.close();
    }
  });
});
