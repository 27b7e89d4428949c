import { fanoutFiguresOf, fanoutTable, type FanoutFigures, type FanoutRow } from '../../../scripts/bench/fanout-report';

function figures(msgsPerSec: number, receivers: number, p99Ms: number, cpuUsPerDelivery: number): FanoutFigures {
  return {
    msgsPerSec,
    deliveriesPerSec: msgsPerSec * receivers,
    p50Ms: p99Ms / 2,
    p99Ms,
    cpuUsPerDelivery,
    subjectCores: 0.9,
    senderCores: 0.2,
    receiversCores: 0.8,
  };
}

const spec = { size: 1024, window: 64, runs: 1, paceShare: 0.5 };

describe('fan-out figures of one run', () => {
  // 2 messages one ms apart to 3 receivers; receiver r reads message i (r + 1) ms after it was sent
  const sendNs = [0, 1e6];
  const ackNs = [0.5e6, 1.5e6];
  const doneNs = [1e6, 2e6, 2e6, 3e6, 3e6, 4e6];

  test('deliveries/s sums the receivers; the run ends at the last delivery', () => {
    const f = fanoutFiguresOf({ receivers: 3, sendNs, ackNs, doneNs, cpuTicks: 3, senderTicks: 1, receiversTicks: 2, clkTck: 100 });
    // 2 messages, 6 deliveries over 4 ms
    expect(f.msgsPerSec).toBeCloseTo(500);
    expect(f.deliveriesPerSec).toBeCloseTo(1500);
    // 3 ticks = 30 ms of CPU over 6 deliveries
    expect(f.cpuUsPerDelivery).toBeCloseTo(5000);
    // 30 ms of CPU in a 4 ms run
    expect(f.subjectCores).toBeCloseTo(7.5);
  });

  test('latency of every delivery, from its message\'s send time', () => {
    const f = fanoutFiguresOf({ receivers: 3, sendNs, ackNs, doneNs, cpuTicks: 0, senderTicks: 0, receiversTicks: 0, clkTck: 100 });
    // latencies 1, 1, 2, 2, 3, 3 ms
    expect(f.p50Ms).toBeCloseTo(2);
    expect(f.p99Ms).toBeCloseTo(3);
  });

  test('deliveries that never came are left out of the latencies', () => {
    const f = fanoutFiguresOf({
      receivers: 3,
      sendNs,
      ackNs,
      doneNs: [1e6, Number.NaN, Number.NaN, Number.NaN, Number.NaN, Number.NaN],
      cpuTicks: 0,
      senderTicks: 0,
      receiversTicks: 0,
      clkTck: 100,
    });
    expect(f.p99Ms).toBeCloseTo(1);
  });
});

describe('fan-out table', () => {
  const relay: FanoutRow = { path: 'relay', receivers: 1, figures: figures(10_000, 1, 20, 10), paced: figures(5000, 1, 2, 10), messages: 100, faults: 0 };
  const memory = { kbPerParticipantBound: 18, heapKbPerParticipant: 9, externalKbPerParticipant: 0.3, ringHighWater: 65536, ringBytes: 262144 };

  test('deliveries/s over the relay\'s msg/s under each switch row, and a verdict per target', () => {
    const { table, lines } = fanoutTable(spec, [
      relay,
      { path: 'switch', receivers: 10, figures: figures(1500, 10, 30, 4), paced: figures(750, 10, 5, 4), memory, messages: 100, faults: 0 },
      { path: 'switch', receivers: 50, figures: figures(180, 50, 400, 3), paced: figures(90, 50, 12, 3), memory, messages: 100, faults: 0 },
    ]);
    const ratios = table.split('\n').filter((l) => l.includes('switch/relay'));
    expect(ratios).toHaveLength(2);
    expect(ratios[0]).toMatch(/switch\/relay\s+1\.50x/);
    expect(ratios[1]).toMatch(/switch\/relay\s+0\.90x/);
    expect(lines).toContain("target deliveries/s >= 1.0x the 1-1 relay's msg/s, 10 receivers: 1.50x met");
    expect(lines).toContain("target deliveries/s >= 1.0x the 1-1 relay's msg/s, 50 receivers: 0.90x MISSED");
    // latency and memory are judged at the largest receiver count
    const p99 = lines.find((l) => l.startsWith('target p99')) ?? '';
    expect(p99).toMatch(/at 50 receivers: paced at 50% of its msg\/s 12\.0 ms met; at full window 400 ms MISSED/);
    const rss = lines.find((l) => l.startsWith('target RSS')) ?? '';
    expect(rss).toMatch(/ring: 256 KiB per leg/);
    expect(rss).toMatch(/at 50 receivers: 18\.0 KB met$/);
  });

  test('a row that failed becomes a footnote; no ratio without the relay', () => {
    const { table, lines } = fanoutTable(spec, [
      { path: 'relay', receivers: 1, error: 'relay did not start' },
      { path: 'switch', receivers: 10, figures: figures(1500, 10, 30, 4), memory, messages: 100, faults: 2 },
    ]);
    expect(table).toContain('failed [1]');
    expect(table).toContain('switch (2 faults)');
    expect(table).not.toContain('switch/relay');
    expect(lines[0]).toBe('[1] 1-1 relay, 1 receivers: relay did not start');
  });
});
