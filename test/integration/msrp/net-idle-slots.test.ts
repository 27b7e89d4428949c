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
      // the limit holds: one more connection is closed at once
      const extra = await RawClient.open(port);
      await until(() => extra.closed, 'connection over the limit closed');
      expect(relay.counters.connectionsRejected).toBe(1);
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
});
