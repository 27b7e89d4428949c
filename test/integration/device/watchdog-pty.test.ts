/**
 * The watchdog against a real pseudo-terminal pair (socat) with a fake MCU
 * process on the far end. Assertions are on order and counts, never timing.
 */
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HealthMonitor } from '../../../src/device/health';
import { Watchdog } from '../../../src/device/watchdog';
import type { WatchdogOptions } from '../../../src/device/watchdog';
import type { HealthVerdict } from '../../../src/device/logger';
import { RecordingLogger, waitFor } from '../../unit/device/helpers';
import { FakeMcu, haveSocat, PtyPair } from './pty';

// .ci/run installs socat; without it these tests fail (a pseudo-terminal is the real stand-in).
test('socat is installed (apt-get install -y socat, see .ci/run)', () => {
  expect(haveSocat()).toBe(true);
});

describe('Watchdog over a socat pseudo-terminal (line protocol)', () => {
  let dir: string;
  let pair: PtyPair | null;
  let mcu: FakeMcu | null;
  let dog: Watchdog | null;
  let logger: RecordingLogger;

  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'imedge-pty-'));
    pair = await PtyPair.start(dir);
    mcu = await FakeMcu.start(pair.b);
    dog = null;
    logger = new RecordingLogger();
  });

  afterEach(async () => {
    await dog?.stop();
    await mcu?.stop();
    await pair?.kill();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  function options(device: string): WatchdogOptions {
    return {
      device,
      baudRate: 115200,
      protocol: 'line',
      periodMs: 100,
      timeoutS: 2,
      answerTimeoutMs: 300,
      kickByte: 0x2e,
      reopenBackoffMs: { min: 50, max: 400 },
      maxConsecutiveMisses: 2,
    };
  }

  it('MCU sees ARM, then HB 1, HB 2, HB 3 in order, and DISARM last on stop()', async () => {
    dog = new Watchdog(options(pair!.a), { health: () => ({ ok: true, failing: [] }), logger });
    await expect(dog.start()).resolves.toEqual({ armed: true });
    await waitFor(() => mcu!.heartbeats().length >= 3, 'three heartbeats at the MCU');
    await expect(dog.stop()).resolves.toEqual({ disarmed: true });
    const lines = mcu!.lines();
    expect(lines.slice(0, 4)).toEqual(['ARM 2', 'HB 1', 'HB 2', 'HB 3']);
    expect(lines[lines.length - 1]).toBe('DISARM');
    expect(dog.stats().lastAnswer?.resetCause).toBe('POR');
    expect(dog.stats().answersMissed).toBe(0);
  });

  it('heartbeats stop while a health check fails and resume when it passes', async () => {
    let verdict: HealthVerdict = { ok: true, failing: [] };
    dog = new Watchdog(options(pair!.a), { health: () => verdict, logger });
    await dog.start();
    await waitFor(() => mcu!.heartbeats().length >= 2, 'heartbeats');
    verdict = { ok: false, failing: ['sqlite-writable'] };
    await waitFor(() => dog!.stats().heartbeatsWithheld >= 2, 'withheld heartbeats');
    const seenWhenWithheld = mcu!.heartbeats().length;
    const withheld = dog.stats().heartbeatsWithheld;
    await waitFor(() => dog!.stats().heartbeatsWithheld >= withheld + 3, 'more withheld periods');
    expect(mcu!.heartbeats().length).toBe(seenWhenWithheld);
    expect(logger.matching(/heartbeat withheld/).map((e) => e.obj['failing'])).toEqual([['sqlite-writable']]);
    verdict = { ok: true, failing: [] };
    await waitFor(() => mcu!.heartbeats().length > seenWhenWithheld, 'heartbeats again');
  });

  it('a blocked event loop fails the event-loop check and the heartbeat is withheld', async () => {
    const monitor = new HealthMonitor(
      {
        sampler: { intervalMs: 50, slowIntervalMs: 30_000, dataDir: dir, uplinkInterface: null },
        limits: { maxEventLoopLagMs: 200, maxSampleAgeMs: 300, maxRssMiB: 100_000 },
        pressure: { maxEventLoopLagMs: 100, maxRssMiB: 100_000, minDiskFreeMiB: 0, maxTempC: 1000, maxLoad1PerCore: 1000 },
        maxChecks: 8,
      },
      { logger },
    );
    await monitor.start();
    try {
      dog = new Watchdog(options(pair!.a), { health: () => monitor.verdict(), logger });
      await dog.start();
      await waitFor(() => mcu!.heartbeats().length >= 2, 'heartbeats');
      const before = mcu!.heartbeats().length;
      const end = Date.now() + 800;
      while (Date.now() < end) {
        // Deliberately block the event loop, as a hung handler would.
      }
      await waitFor(() => dog!.stats().heartbeatsWithheld >= 1, 'a withheld heartbeat');
      const withheld = logger.matching(/heartbeat withheld/);
      expect(withheld[0]!.obj['failing']).toEqual(['event-loop']);
      // Once the loop is responsive again, heartbeats resume.
      await waitFor(() => mcu!.heartbeats().length >= before + 2, 'heartbeats after the block');
    } finally {
      monitor.stop();
    }
  });

  it('survives socat being killed and the pty re-created: re-opens and heartbeats resume', async () => {
    dog = new Watchdog(options(pair!.a), { health: () => ({ ok: true, failing: [] }), logger });
    await dog.start();
    await waitFor(() => mcu!.heartbeats().length >= 2, 'heartbeats');
    await pair!.kill();
    await mcu!.stop();
    await waitFor(() => logger.matching(/link lost/).length >= 1, 'the loss noticed');
    expect(dog.stats().linkOpen).toBe(false);
    pair = await PtyPair.start(dir);
    mcu = await FakeMcu.start(pair.b);
    await waitFor(() => dog!.stats().reopens >= 1, 're-open');
    await waitFor(() => mcu!.heartbeats().length >= 2, 'heartbeats on the new pty');
    const lines = mcu!.lines();
    // The new link is armed before any heartbeat (ARM is repeated until confirmed).
    expect(lines[0]).toBe('ARM 2');
    expect(lines.every((l) => /^(ARM 2|HB \d+)$/.test(l))).toBe(true);
    // Sequence numbers keep increasing across the re-open.
    const seqs = mcu!.heartbeats().map((l) => Number(l.slice(3)));
    expect(seqs[0]).toBeGreaterThan(2);
    await expect(dog.stop()).resolves.toEqual({ disarmed: true });
    expect(mcu!.lines().pop()).toBe('DISARM');
  });
});
