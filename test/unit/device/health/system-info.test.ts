import { createSystemInfoSource, loadPercent, parseProcStat, parseSwapUsed } from '../../../../src/device/health/system-info';

describe('slow sample from /proc (no systeminformation on Linux)', () => {
  it('reads busy and total ticks of the aggregate cpu line the way systeminformation sums them', () => {
    const text = 'cpu  100 5 50 800 40 3 7 2 1 0\ncpu0 50 2 25 400 20 1 3 1 0 0\nintr 1 2\n';
    // busy = user + nice + system + irq + steal + guest; iowait and softirq left out
    expect(parseProcStat(text)).toEqual({ busy: 100 + 5 + 50 + 3 + 2 + 1, total: 161 + 800 });
    expect(parseProcStat('nothing here')).toBeNull();
  });

  it('gives the busy share since the previous reading, since boot for the first', () => {
    expect(loadPercent(null, { busy: 25, total: 100 })).toBe(25);
    expect(loadPercent({ busy: 25, total: 100 }, { busy: 75, total: 200 })).toBe(50);
    expect(loadPercent({ busy: 25, total: 100 }, { busy: 25, total: 100 })).toBeNull();
  });

  it('reads swap in use from /proc/meminfo in bytes', () => {
    expect(parseSwapUsed('MemTotal: 1 kB\nSwapTotal:     2048 kB\nSwapFree:      1024 kB\n')).toBe(1024 * 1024);
    expect(parseSwapUsed('MemTotal: 1 kB\n')).toBeNull();
  });

  it('samples this machine', async () => {
    const s = await createSystemInfoSource().slowSample();
    if (process.platform !== 'linux') return;
    expect(s.cpuLoadPercent).toBeGreaterThanOrEqual(0);
    expect(s.cpuLoadPercent).toBeLessThanOrEqual(100);
    expect(s.swapUsedBytes).toBeGreaterThanOrEqual(0);
  });
});

describe('event-loop lag source', () => {
  it('reports a block of the loop as the worst delay since the previous reading, then starts again', async () => {
    const { createLoopLagSource } = await import('../../../../src/device/health/loop-lag');
    const lag = createLoopLagSource(5);
    try {
      await new Promise((r) => setTimeout(r, 20));
      const until = Date.now() + 120;
      while (Date.now() < until) {
        /* block the loop */
      }
      await new Promise((r) => setTimeout(r, 20));
      expect(lag.takeMaxMs()).toBeGreaterThanOrEqual(80);
      // the block is behind us: the next reading does not report it again
      expect(lag.takeMaxMs()).toBe(0);
    } finally {
      lag.stop();
    }
  });
});
