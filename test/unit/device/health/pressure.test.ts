import { evaluatePressure, HealthMonitor, PressureTracker } from '../../../../src/device/health';
import type { HealthSample, LoopLagSource, PressureState, PressureThresholds } from '../../../../src/device/health';
import { RecordingLogger } from '../helpers';
import { FakeHost } from './fake-host';

const MIB = 1024 * 1024;
const thresholds: PressureThresholds = {
  maxEventLoopLagMs: 100,
  maxRssMiB: 200,
  minDiskFreeMiB: 50,
  maxTempC: 75,
  maxLoad1PerCore: 2,
  minMemAvailableMiB: 32,
};

function sample(over: Partial<HealthSample> = {}): HealthSample {
  return {
    at: 0,
    rssBytes: 100 * MIB,
    memAvailableBytes: 300 * MIB,
    load1: 1,
    cpuCount: 4,
    tempC: 50,
    diskFreeBytes: 1000 * MIB,
    uplinkUp: true,
    eventLoopLagMs: 5,
    cpuLoadPercent: null,
    swapUsedBytes: null,
    ...over,
  };
}

describe('pressure evaluation', () => {
  it('is not under pressure inside every threshold', () => {
    expect(evaluatePressure(sample(), thresholds)).toEqual({ underPressure: false, reasons: [], details: [] });
  });

  it.each([
    ['event-loop-lag', { eventLoopLagMs: 150 }],
    ['rss', { rssBytes: 250 * MIB }],
    ['disk-free', { diskFreeBytes: 10 * MIB }],
    ['temperature', { tempC: 80 }],
    ['load', { load1: 9, cpuCount: 4 }],
    ['mem-available', { memAvailableBytes: 16 * MIB }],
  ] as const)('names %s when its threshold is crossed', (reason, over) => {
    const state = evaluatePressure(sample(over), thresholds);
    expect(state.underPressure).toBe(true);
    expect(state.reasons).toEqual([reason]);
    expect(state.details).toHaveLength(1);
  });

  it('treats unknown values (no sensor) as no pressure', () => {
    const state = evaluatePressure(sample({ tempC: null, load1: null, diskFreeBytes: null, memAvailableBytes: null }), thresholds);
    expect(state.underPressure).toBe(false);
  });

  it('calls back only when the set of reasons changes', () => {
    const changes: PressureState[] = [];
    const tracker = new PressureTracker(thresholds, (s) => changes.push(s));
    tracker.update(sample());
    tracker.update(sample({ tempC: 80 }));
    tracker.update(sample({ tempC: 81 }));
    tracker.update(sample({ tempC: 82, rssBytes: 300 * MIB }));
    tracker.update(sample());
    tracker.update(sample());
    expect(changes.map((c) => c.reasons)).toEqual([['temperature'], ['rss', 'temperature'], []]);
    expect(tracker.current().underPressure).toBe(false);
  });
});

describe('HealthMonitor: pressure and built-in checks from fake host files', () => {
  let host: FakeHost;
  beforeEach(async () => {
    host = await FakeHost.create();
  });
  afterEach(async () => {
    await host.remove();
  });

  it('logs pressure changes, and fails event-loop and memory checks past the hard limits', async () => {
    const logger = new RecordingLogger();
    let lag = 5;
    let rss = 100 * MIB;
    let now = 10_000;
    const loopLag: LoopLagSource = { takeMaxMs: () => lag, stop: () => undefined };
    const changes: PressureState[] = [];
    const monitor = new HealthMonitor(
      {
        sampler: { intervalMs: 1000, slowIntervalMs: 30_000, dataDir: host.dataDir, uplinkInterface: null, paths: host.paths },
        limits: { maxEventLoopLagMs: 1000, maxSampleAgeMs: 3000, maxRssMiB: 400 },
        pressure: thresholds,
        maxChecks: 8,
      },
      { logger, loopLag, rssBytes: () => rss, now: () => now, onPressureChange: (s) => changes.push(s) },
    );
    monitor.checks.register('sqlite-writable', () => ({ ok: true }));
    await monitor.sampler.sampleNow();
    expect(monitor.evaluate()).toEqual({
      ok: true,
      checks: [
        { name: 'event-loop', ok: true, detail: expect.any(String) },
        { name: 'memory', ok: true, detail: expect.any(String) },
        { name: 'sqlite-writable', ok: true, detail: '' },
      ],
    });

    await host.setZoneTempMilliC(0, 90_000);
    await monitor.sampler.sampleNow();
    expect(monitor.pressure()).toMatchObject({ underPressure: true, reasons: ['temperature'] });
    expect(logger.matching(/under pressure/)).toHaveLength(1);
    expect(monitor.verdict().ok).toBe(true); // pressure alone never stops the watchdog

    lag = 5000;
    rss = 500 * MIB;
    await monitor.sampler.sampleNow();
    expect(monitor.verdict()).toEqual({ ok: false, failing: ['event-loop', 'memory'] });

    lag = 5;
    rss = 100 * MIB;
    await host.setZoneTempMilliC(0, 40_000);
    await monitor.sampler.sampleNow();
    expect(monitor.verdict().ok).toBe(true);
    expect(logger.matching(/pressure relieved/)).toHaveLength(1);
    expect(changes.map((c) => c.underPressure)).toEqual([true, true, false]);

    now += 10_000; // the sampler stopped running: the event loop check notices
    expect(monitor.verdict()).toEqual({ ok: false, failing: ['event-loop'] });
  });
});
