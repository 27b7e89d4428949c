import { Outbound, type OutboundProducer, type OutboundSink } from '../../../../src/msrp/net';

/** A sink that completes writes only when told to, like a socket whose peer stopped reading. */
class ManualSink implements OutboundSink {
  written: Buffer[] = [];
  private cbs: ((err?: Error | null) => void)[] = [];
  write(chunk: Buffer, cb: (err?: Error | null) => void): boolean {
    this.written.push(Buffer.from(chunk));
    this.cbs.push(cb);
    return true;
  }
  cork(): void {}
  uncork(): void {}
  complete(): void {
    const cbs = this.cbs;
    this.cbs = [];
    for (const cb of cbs) cb();
  }
  text(): string {
    return Buffer.concat(this.written).toString('latin1');
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const limits = { ringBytes: 4096, highWatermarkRatio: 0.75, lowWatermarkRatio: 0.25, maxControlFrames: 8 };

describe('Outbound leg (DESIGN ring-buffer relay, STYLE habit 3)', () => {
  test('watermarks: congestion above the high mark, relief below the low mark, both counted', async () => {
    const sink = new ManualSink();
    const events: boolean[] = [];
    const out = new Outbound(sink, limits, { onCongestion: (c) => events.push(c), onControlPressure: () => undefined });
    out.beginFrame(Buffer.from('HEAD\r\n'));
    out.body(Buffer.alloc(10_000, 0x61)); // more than the ring: the rest waits as a view
    expect(out.ring.length).toBe(4096);
    expect(out.congested).toBe(true);
    out.endFrame(Buffer.from('END\r\n'));
    for (let i = 0; i < 10 && out.congested; i++) {
      await tick();
      sink.complete();
    }
    await tick();
    sink.complete();
    expect(events).toEqual([true, false]);
    expect([out.pauses, out.resumes]).toEqual([1, 1]);
    expect(out.ring.highWater).toBeLessThanOrEqual(4096);
    expect(sink.text()).toBe(`HEAD\r\n${'a'.repeat(10_000)}END\r\n`);
  });

  test('RFC 4975 7.1.1: a control frame never lands inside a streamed frame', async () => {
    const sink = new ManualSink();
    const out = new Outbound(sink, limits, { onCongestion: () => undefined, onControlPressure: () => undefined });
    out.beginFrame(Buffer.from('H1|'));
    out.body(Buffer.from('body1|'));
    expect(out.control(Buffer.from('RESP|'))).toBe(true);
    expect(out.controlWaiting).toBe(1);
    out.endFrame(Buffer.from('E1|'));
    out.control(Buffer.from('RESP2|'));
    await tick();
    sink.complete();
    expect(sink.text()).toBe('H1|body1|E1|RESP|RESP2|');
  });

  test('control pressure is signalled and overflowing control frames are dropped and counted', () => {
    const sink = new ManualSink();
    const pressure: boolean[] = [];
    const out = new Outbound(sink, limits, { onCongestion: () => undefined, onControlPressure: (h) => pressure.push(h) });
    out.beginFrame(Buffer.from('H'));
    const results = Array.from({ length: 10 }, () => out.control(Buffer.from('C')));
    expect(results.filter((r) => !r)).toHaveLength(2);
    expect(out.controlDropped).toBe(2);
    expect(pressure).toEqual([true]);
    out.destroy();
    expect(pressure).toEqual([true, false]);
  });

  describe('RFC 4975 5.4: sessions sharing a connection, one producer at a time', () => {
    function producer(): OutboundProducer & { events: boolean[] } {
      const events: boolean[] = [];
      return { events, onHeld: (h: boolean) => events.push(h) };
    }

    test('RFC 4975 5.4: a frame begun while another is open is held whole and follows it', async () => {
      const sink = new ManualSink();
      const out = new Outbound(sink, limits, { onCongestion: () => undefined, onControlPressure: () => undefined });
      const p1 = producer();
      const p2 = producer();
      out.beginFrame([Buffer.from('H1'), Buffer.from('|')], p1);
      out.body(Buffer.from('a1|'), p1);
      out.beginFrame(Buffer.from('H2|'), p2);
      out.body(Buffer.from('b2|'), p2);
      out.endFrame(Buffer.from('E2|'), p2);
      expect(p2.events).toEqual([true]);
      expect(out.heldFrames).toBe(1);
      expect(out.isTurnOf(p2)).toBe(false);
      out.body(Buffer.from('a2|'), p1);
      out.endFrame(Buffer.from('E1|'), p1);
      expect(p2.events).toEqual([true, false]);
      expect(p1.events).toEqual([]);
      await tick();
      sink.complete();
      expect(sink.text()).toBe('H1|a1|a2|E1|H2|b2|E2|');
    });

    test('RFC 4975 5.4: held frames go in arrival order; an open one becomes the writer and streams on', async () => {
      const sink = new ManualSink();
      const out = new Outbound(sink, limits, { onCongestion: () => undefined, onControlPressure: () => undefined });
      const [p1, p2, p3] = [producer(), producer(), producer()];
      out.beginFrame(Buffer.from('H1|'), p1);
      out.beginFrame(Buffer.from('H2|'), p2);
      out.body(Buffer.from('b2|'), p2);
      out.beginFrame(Buffer.from('H3|'), p3);
      out.endFrame(Buffer.from('E3|'), p3);
      out.endFrame(Buffer.from('E1|'), p1);
      // p2's frame is still open: it streams now, p3 waits behind it
      expect(p2.events).toEqual([true, false]);
      expect(p3.events).toEqual([true]);
      expect(out.isTurnOf(p2)).toBe(true);
      out.body(Buffer.from('c2|'), p2);
      out.control(Buffer.from('R|'));
      out.endFrame(Buffer.from('E2|'), p2);
      expect(p3.events).toEqual([true, false]);
      await tick();
      sink.complete();
      expect(sink.text()).toBe('H1|E1|H2|b2|c2|E2|R|H3|E3|');
    });

    test('RFC 4975 5.4: whenTurn waits for the open frame of another producer; destroy releases everyone', async () => {
      const sink = new ManualSink();
      const out = new Outbound(sink, limits, { onCongestion: () => undefined, onControlPressure: () => undefined });
      const [p1, p2, p3] = [producer(), producer(), producer()];
      out.beginFrame(Buffer.from('H1|'), p1);
      let turn = false;
      void out.whenTurn(p2).then(() => (turn = true));
      await tick();
      expect(turn).toBe(false);
      out.endFrame(Buffer.from('E1|'), p1);
      await tick();
      expect(turn).toBe(true);
      out.beginFrame(Buffer.from('H2|'), p2);
      out.beginFrame(Buffer.from('H3|'), p3);
      expect(out.queuedBytes).toBeGreaterThan(0);
      out.destroy();
      expect(p3.events).toEqual([true, false]);
      expect(out.heldFrames).toBe(0);
    });
  });

  describe('the hold clock (msrp.frameHoldMs, RFC 4975 5.4: one frame at a time per connection)', () => {
    /** A sink that completes every write at once: a leg that is never congested. */
    const freeSink = (): OutboundSink => ({ write: (_c, cb) => (cb(), true), cork: () => undefined, uncork: () => undefined });
    const producer = (): OutboundProducer & { asked: number } => {
      const p = { asked: 0, onHeld: () => undefined, onHoldingOthers: () => void p.asked++ };
      return p;
    };
    let expired: OutboundProducer[];
    const build = (transactionTimeoutMs?: number): Outbound => {
      expired = [];
      const withTimeout = transactionTimeoutMs === undefined ? {} : { transactionTimeoutMs };
      return new Outbound(freeSink(), { ...limits, frameHoldMs: 1000, ...withTimeout }, {
        onCongestion: () => undefined,
        onControlPressure: () => undefined,
        onHoldExpired: (w) => {
          expired.push(w);
          w.onHoldingOthers?.();
        },
      });
    };
    /** A writer that brings one ring of body per 1 s hold period, for `periods` periods. */
    const streamRings = (out: Outbound, p: OutboundProducer, periods: number): void => {
      for (let i = 0; i < periods; i++) {
        out.body(Buffer.alloc(limits.ringBytes, 0x61), p);
        jest.advanceTimersByTime(1000);
      }
    };
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    test('a writer that gives less than one ring of bytes per frameHoldMs while another frame waits is asked to end its frame, once per period', () => {
      const out = build();
      const slow = producer();
      const other = producer();
      out.beginFrame(Buffer.from('H1|'), slow);
      out.beginFrame(Buffer.from('H2|'), other);
      expect(out.heldFrames).toBe(1);
      jest.advanceTimersByTime(500);
      out.body(Buffer.from('.'), slow);
      jest.advanceTimersByTime(600);
      expect(expired).toEqual([slow]);
      expect(out.holdsExpired).toBe(1);
      jest.advanceTimersByTime(1000);
      expect(slow.asked).toBe(2);
      out.endFrame(Buffer.from('E1#|'), slow);
      jest.advanceTimersByTime(5000);
      expect(slow.asked).toBe(2);
      expect(other.asked).toBe(0);
    });

    test('attack findings F1/F3: a writer that streams a ring per period (paced by another slow leg, or a slow link) is not asked', () => {
      const out = build();
      const steady = producer();
      const other = producer();
      out.beginFrame(Buffer.from('H1|'), steady);
      out.beginFrame(Buffer.from('H2|'), other);
      streamRings(out, steady, 10);
      expect(steady.asked).toBe(0);
    });

    test('third attack F1: a ring per period buys no more than half the waiting senders\' transaction timeout (RFC 4975 5.4)', () => {
      // transaction timeout 6 s: the frames held behind must go out within 3 s, 3 periods
      const out = build(6000);
      const steady = producer();
      const other = producer();
      out.beginFrame(Buffer.from('H1|'), steady);
      out.beginFrame(Buffer.from('H2|'), other);
      streamRings(out, steady, 2);
      expect(steady.asked).toBe(0);
      out.body(Buffer.alloc(limits.ringBytes, 0x61), steady);
      jest.advanceTimersByTime(1000);
      expect(steady.asked).toBe(1);
      expect(other.asked).toBe(0);
    });

    test('the periods count from the first frame held behind: an open frame nobody waited on starts from zero', () => {
      const out = build(6000);
      const steady = producer();
      const other = producer();
      out.beginFrame(Buffer.from('H1|'), steady);
      streamRings(out, steady, 10);
      out.beginFrame(Buffer.from('H2|'), other);
      streamRings(out, steady, 2);
      expect(steady.asked).toBe(0);
      // the held frame went out whole (the writer ended), a new one of the same producer: a new clock
      out.endFrame(Buffer.from('E1$|'), steady);
      out.endFrame(Buffer.from('E2$|'), other);
      out.beginFrame(Buffer.from('H3|'), steady);
      out.beginFrame(Buffer.from('H4|'), other);
      streamRings(out, steady, 2);
      expect(steady.asked).toBe(0);
      jest.advanceTimersByTime(1000);
      expect(steady.asked).toBe(1);
    });

    test('nobody waiting: a slow frame is never asked to end', () => {
      const out = build();
      const alone = producer();
      out.beginFrame(Buffer.from('H1|'), alone);
      jest.advanceTimersByTime(10_000);
      expect(alone.asked).toBe(0);
      expect(out.holdsExpired).toBe(0);
    });
  });
});
