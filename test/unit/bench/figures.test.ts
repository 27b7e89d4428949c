import { figuresOf } from '../../../scripts/bench/figures';
import { runCount, warmupCount } from '../../../scripts/bench/measure';

describe('figures of one run', () => {
  // 4 messages of 1000 bytes, one every ms, each read at B 0.5 ms and acknowledged 1 ms after
  const sendNs = [0, 1e6, 2e6, 3e6];
  const doneNs = sendNs.map((t) => t + 0.5e6);
  const ackNs = sendNs.map((t) => t + 1e6);

  test('throughput runs from the first write to the last event', () => {
    const f = figuresOf({ size: 1000, sendNs, ackNs, doneNs, cpuTicks: 2, clkTck: 100 });
    // last event: the ack at 4 ms
    expect(f.msgsPerSec).toBeCloseTo(1000);
    expect(f.mbPerSec).toBeCloseTo(1);
  });

  test('latencies per message, in ms', () => {
    const f = figuresOf({ size: 1000, sendNs, ackNs, doneNs, cpuTicks: 0, clkTck: 100 });
    expect(f.bP50Ms).toBeCloseTo(0.5);
    expect(f.bP99Ms).toBeCloseTo(0.5);
    expect(f.aP50Ms).toBeCloseTo(1);
  });

  test('relay CPU per message from clock ticks', () => {
    const f = figuresOf({ size: 1000, sendNs, ackNs, doneNs, cpuTicks: 2, clkTck: 100 });
    // 2 ticks = 20 ms over 4 messages
    expect(f.cpuUsPerMsg).toBeCloseTo(5000);
  });

  test('messages never completed are left out of the latencies', () => {
    const f = figuresOf({
      size: 1,
      sendNs: [0, 1e6],
      ackNs: [2e6, Number.NaN],
      doneNs: [1e6, Number.NaN],
      cpuTicks: 0,
      clkTck: 100,
    });
    expect(f.bP99Ms).toBeCloseTo(1);
    expect(f.aP99Ms).toBeCloseTo(2);
  });

  test('run sizes: warm-up bounded, runs sized from the rate seen', () => {
    expect(warmupCount(100)).toBe(400);
    expect(warmupCount(256 * 1024)).toBe(16);
    expect(warmupCount(64 * 1024 * 1024)).toBe(8);
    expect(runCount(1000, 2.5)).toBe(2500);
    expect(runCount(1, 1)).toBe(10);
    expect(runCount(Number.NaN, 1)).toBe(100);
  });
});
