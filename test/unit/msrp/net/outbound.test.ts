import { Outbound, type OutboundSink } from '../../../../src/msrp/net';

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
});
