/**
 * Issue 16 item 5: TCP connections that never bound a session and sent a CRLF now and then
 * defeated the idle timeout and held every MSRP slot, so real sessions could not be set up.
 */
import { MsrpRelay } from '../../../src/msrp/relay';
import { freshSessionWorks, RawClient, rawPair, sendText, until } from './helpers';

/** Writes a bare CRLF every few ms until stopped: bytes between frames, no frame. */
function crlfDrip(c: RawClient): () => void {
  const t = setInterval(() => {
    if (!c.closed) c.write('\r\n');
  }, 20);
  return () => clearInterval(t);
}

describe('issue 16 item 5: slots are not held by connections that bind nothing (RFC 4975 5.4)', () => {
  test('RFC 4975 5.4: connections that bind no session are closed after bindTimeoutMs, CRLFs or not; real sessions get the slots', async () => {
    const relay = new MsrpRelay({ maxConnections: 4, bindTimeoutMs: 1000, idleTimeoutMs: 60_000 });
    const { port } = await relay.listen('127.0.0.1', 0);
    const idle = await Promise.all([0, 1, 2, 3].map(() => RawClient.open(port)));
    const stops = idle.map(crlfDrip);
    try {
      await until(() => relay.counters.connectionsLive === 4, 'every slot taken');
      await until(() => idle.every((c) => c.closed), 'unbound connections closed');
      expect(relay.counters.bindTimeouts).toBe(4);
      expect(relay.counters.idleTimeouts).toBe(0);
      await freshSessionWorks(relay);
    } finally {
      stops.forEach((s) => s());
      await relay.close();
    }
  });
  test('RFC 4975 5.4: a bound connection that sends only CRLFs is idle (closed); one that sends frames is not', async () => {
    const relay = new MsrpRelay({ bindTimeoutMs: 60_000, idleTimeoutMs: 500 });
    const { port } = await relay.listen('127.0.0.1', 0);
    const quiet = await rawPair(relay, port);
    const busy = await rawPair(relay, port);
    const stops = [crlfDrip(quiet.a), crlfDrip(quiet.b)];
    let n = 0;
    const chat = setInterval(() => {
      // frames both ways: B answers each SEND, so each side sees traffic
      const t = `busy${(n++).toString().padStart(4, '0')}`;
      busy.a.write(sendText(t, busy.pair.aLocal, busy.aUri, 'tick'));
      for (const f of busy.b.requests('SEND').splice(0)) {
        busy.b.write(`MSRP ${f.head.transactionId} 200 OK\r\nTo-Path: ${busy.pair.bLocal}\r\nFrom-Path: ${busy.bUri}\r\n-------${f.head.transactionId}$\r\n`);
      }
      busy.b.frames.length = 0;
    }, 25);
    try {
      await until(() => quiet.a.closed && quiet.b.closed, 'CRLF-only connections closed as idle');
      expect(relay.counters.idleTimeouts).toBe(2);
      expect(busy.a.closed || busy.b.closed).toBe(false);
      expect(relay.counters.bindTimeouts).toBe(0);
    } finally {
      clearInterval(chat);
      stops.forEach((s) => s());
      busy.a.end();
      busy.b.end();
      await relay.close();
    }
  });

  test('attack finding: at maxConnections a new connection evicts the oldest one that binds no session, so idle sockets re-opened every bindTimeoutMs cannot lock real sessions out', async () => {
    // bindTimeoutMs far away: only the eviction can free the slots here
    const relay = new MsrpRelay({ maxConnections: 4, bindTimeoutMs: 60_000, idleTimeoutMs: 60_000 });
    const { port } = await relay.listen('127.0.0.1', 0);
    const idle: RawClient[] = [];
    for (let i = 0; i < 4; i++) {
      idle.push(await RawClient.open(port));
      await until(() => relay.counters.connectionsLive === i + 1, `idle connection ${i + 1} accepted`);
    }
    const stops = idle.map(crlfDrip);
    try {
      expect(relay.net.connectionRoom).toBe(4); // no free slot, four evictable ones
      // one more connection: the oldest idle one makes room, nothing is refused
      const extra = await RawClient.open(port);
      await until(() => idle[0]!.closed, 'oldest idle connection evicted');
      expect(idle.slice(1).some((c) => c.closed)).toBe(false);
      expect(extra.closed).toBe(false);
      expect(relay.counters).toMatchObject({ connectionsEvicted: 1, connectionsRejected: 0, connectionsLive: 4, bindTimeouts: 0 });
      // a real session (two connections, each binding at once) evicts two more and works
      await freshSessionWorks(relay);
      expect(relay.counters.connectionsEvicted).toBe(3);
      expect(relay.counters.connectionsRejected).toBe(0);
      expect([idle[1]!.closed, idle[2]!.closed, idle[3]!.closed, extra.closed]).toEqual([true, true, false, false]);
      extra.end();
    } finally {
      stops.forEach((s) => s());
      idle.forEach((c) => c.end());
      await relay.close();
    }
  });

  test('attack finding: a cap full of connections that carry sessions is never evicted; a new connection is refused (counted)', async () => {
    const relay = new MsrpRelay({ maxConnections: 4, bindTimeoutMs: 60_000, idleTimeoutMs: 60_000 });
    const { port } = await relay.listen('127.0.0.1', 0);
    const p1 = await rawPair(relay, port);
    const p2 = await rawPair(relay, port);
    try {
      expect(relay.counters.connectionsLive).toBe(4);
      expect(relay.net.connectionRoom).toBe(0);
      const extra = await RawClient.open(port);
      await until(() => extra.closed, 'connection over the limit closed');
      expect(relay.counters).toMatchObject({ connectionsRejected: 1, connectionsEvicted: 0, connectionsLive: 4 });
      expect([p1.a.closed, p1.b.closed, p2.a.closed, p2.b.closed]).toEqual([false, false, false, false]);
      // the bound connections still carry their sessions
      p1.a.write(sendText('still1', p1.pair.aLocal, p1.aUri, 'hello'));
      await until(() => p1.b.requests('SEND').some((f) => f.body.toString() === 'hello'), 'message relayed');
    } finally {
      for (const c of [p1.a, p1.b, p2.a, p2.b]) c.end();
      await relay.close();
    }
  });
});

describe('issue 11 item 5: connections per source address', () => {
  test('one address may hold at most maxConnectionsPerSource inbound MSRP connections; beyond, closed at once and counted, and it cannot evict others to get more', async () => {
    const relay = new MsrpRelay({ maxConnections: 8, maxConnectionsPerSource: 3, bindTimeoutMs: 60_000, idleTimeoutMs: 60_000 });
    const { port } = await relay.listen('127.0.0.1', 0);
    const clients = await Promise.all([0, 1, 2, 3, 4].map(() => RawClient.open(port)));
    try {
      await until(() => relay.counters.connectionsRejectedPerSource === 2, 'two refused for their source');
      await until(() => clients.filter((c) => c.closed).length === 2, 'the two beyond the cap closed');
      expect(relay.counters.connectionsLive).toBe(3);
      expect(relay.counters.connectionsEvicted).toBe(0);
    } finally {
      for (const c of clients) c.end();
      await relay.close();
    }
  });
});
