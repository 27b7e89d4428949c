import { HealthSampler } from '../../../../src/device/health';
import type { LoopLagSource, SystemInfoSource } from '../../../../src/device/health';
import { RecordingLogger } from '../helpers';
import { FakeHost } from './fake-host';

const fixedLag = (ms: number): LoopLagSource => ({ takeMaxMs: () => ms, stop: () => undefined });

describe('HealthSampler against fake /proc and /sys files', () => {
  let host: FakeHost;
  beforeEach(async () => {
    host = await FakeHost.create();
  });
  afterEach(async () => {
    await host.remove();
  });

  function sampler(uplink: string | null, systemInfo?: SystemInfoSource): HealthSampler {
    return new HealthSampler(
      { intervalMs: 1000, slowIntervalMs: 30_000, dataDir: host.dataDir, uplinkInterface: uplink, paths: host.paths },
      {
        logger: new RecordingLogger(),
        loopLag: fixedLag(12),
        rssBytes: () => 50 * 1024 * 1024,
        now: () => 1000,
        ...(systemInfo ? { systemInfo } : {}),
      },
    );
  }

  it('reads MemAvailable, load1, the hottest thermal zone, disk free and the uplink operstate', async () => {
    await host.setMemAvailableKiB(123456);
    await host.setLoad(1.75);
    await host.setZoneTempMilliC(0, 48500);
    await host.setZoneTempMilliC(1, 61250);
    await host.setOperstate('eth0', 'up');
    const s = await sampler('eth0').sampleNow();
    expect(s).toMatchObject({
      at: 1000,
      rssBytes: 50 * 1024 * 1024,
      memAvailableBytes: 123456 * 1024,
      load1: 1.75,
      tempC: 61.25,
      uplinkUp: true,
      eventLoopLagMs: 12,
      cpuLoadPercent: null,
    });
    expect(s.cpuCount).toBeGreaterThan(0);
    expect(s.diskFreeBytes).toBeGreaterThan(0);
  });

  it('reports a down or missing uplink as down, "unknown" (ppp, wwan) as up, and no uplink as null', async () => {
    await host.setOperstate('eth0', 'down');
    await host.setOperstate('ppp0', 'unknown');
    expect((await sampler('eth0').sampleNow()).uplinkUp).toBe(false);
    expect((await sampler('ppp0').sampleNow()).uplinkUp).toBe(true);
    expect((await sampler('wwan0').sampleNow()).uplinkUp).toBe(false);
    expect((await sampler(null).sampleNow()).uplinkUp).toBeNull();
  });

  it('returns null for values it cannot read instead of throwing', async () => {
    await host.remove();
    const s = await sampler(null).sampleNow();
    expect(s).toMatchObject({ memAvailableBytes: null, load1: null, tempC: null, diskFreeBytes: null });
  });

  it('takes the slow systeminformation sample on start and refuses a slow interval under 30 s', async () => {
    const slow: SystemInfoSource = { slowSample: async () => ({ cpuLoadPercent: 42, swapUsedBytes: 7 }) };
    const s = sampler(null, slow);
    await s.start();
    try {
      expect((await s.sampleNow()).cpuLoadPercent).toBe(42);
    } finally {
      s.stop();
    }
    expect(
      () =>
        new HealthSampler(
          { intervalMs: 1000, slowIntervalMs: 1000, dataDir: host.dataDir, uplinkInterface: null },
          { logger: new RecordingLogger(), loopLag: fixedLag(0) },
        ),
    ).toThrow(/30000/);
  });
});
