/**
 * Outside attack t12: A begins a SEND and stalls in the middle of its body (connection open,
 * silent). The relay streams A's open frame onto B's connection, so everything the relay owes B
 * on that connection (the hop-by-hop 200s to B's own SENDs, REPORTs) waited for an end-line that
 * never came, and B's transactions timed out. frameHoldMs cut such a frame only when other
 * sessions' frames waited behind it; responses and REPORTs now count the same (RFC 4975 5.4: one
 * frame at a time per connection; 7.1 '#', 10.5 413). Real loopback sockets, raw A and B.
 */
import { MsrpRelay } from '../../../src/msrp/relay';
import { freshSessionWorks, rawPair, sendText, until } from './helpers';

describe('RFC 4975 5.4 / 7.2: a sender stalled mid-frame cannot hold back the answers owed to the other peer', () => {
  let relay: MsrpRelay;
  let port: number;

  beforeEach(async () => {
    relay = new MsrpRelay({ frameHoldMs: 300, transactionTimeoutMs: 4000 });
    port = (await relay.listen('127.0.0.1', 0)).port;
  });
  afterEach(async () => {
    await freshSessionWorks(relay);
    expect(relay.counters.handlerErrors).toBe(0);
    await relay.close();
  });

  test("RFC 4975 7.2 / 10.5: B's SENDs get their 200s; A's stalled chunk ends '#' at B and A is told 413", async () => {
    const p = await rawPair(relay, port);
    const frame = sendText('stallA01', p.pair.aLocal, p.aUri, 'X'.repeat(1000));
    p.a.write(frame.slice(0, frame.length / 2));
    await until(() => p.b.received().includes('XXXXXXXXXX'), "A's open frame streaming at B");
    p.b.write(sendText('stallB01', p.pair.bLocal, p.bUri, 'B to A one'));
    p.b.write(sendText('stallB02', p.pair.bLocal, p.bUri, 'B to A two'));
    // B's messages reach A on A's own (free) connection at once
    await until(() => p.a.requests('SEND').length === 2, "B's messages at A");
    await until(() => p.b.responses('stallB01').length === 1 && p.b.responses('stallB02').length === 1, "the relay's 200s at B");
    expect(p.b.responses('stallB01')[0].head).toMatchObject({ status: 200 });
    expect(p.b.responses('stallB02')[0].head).toMatchObject({ status: 200 });
    // the stalled frame was cut before them: it ends '#' at B, and its sender got 413
    const cut = p.b.requests('SEND').find((f) => f.head.transactionId === 'stallA01');
    expect(cut?.flag).toBe('#');
    await until(() => p.a.responses('stallA01').length === 1, '413 to the stalled sender');
    expect(p.a.responses('stallA01')[0].head).toMatchObject({ status: 413 });
    expect(relay.counters.framesCut).toBe(1);
    // A starts over and its next message flows
    p.a.write(frame.slice(frame.length / 2));
    p.a.write(sendText('stallA02', p.pair.aLocal, p.aUri, 'fresh start'));
    await until(() => p.b.requests('SEND').some((f) => f.body.toString() === 'fresh start'), "A's next message at B");
    p.a.end();
    p.b.end();
  });

  test('RFC 4975 5.4: a stalled frame that nothing waits behind is not cut', async () => {
    const p = await rawPair(relay, port);
    const frame = sendText('alone001', p.pair.aLocal, p.aUri, 'Y'.repeat(200));
    p.a.write(frame.slice(0, 100));
    await new Promise((r) => setTimeout(r, 900));
    p.a.write(frame.slice(100));
    await until(() => p.b.requests('SEND').length === 1, 'the frame at B');
    expect(p.b.requests('SEND')[0].flag).toBe('$');
    expect(relay.counters.framesCut).toBe(0);
    p.a.end();
    p.b.end();
  });
});
