import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Watchdog, WatchdogOpenError } from '../../../../src/device/watchdog';
import type { WatchdogOptions } from '../../../../src/device/watchdog';
import type { HealthVerdict } from '../../../../src/device/logger';
import { RecordingLogger, waitFor } from '../helpers';
import { MockMcu, standardResponder } from './mock-mcu';

const DEVICE = '/dev/ttyMOCK0';

function options(overrides: Partial<WatchdogOptions> = {}): WatchdogOptions {
  return {
    device: DEVICE,
    baudRate: 115200,
    protocol: 'line',
    periodMs: 20,
    timeoutS: 60,
    answerTimeoutMs: 100,
    kickByte: 0x2e,
    reopenBackoffMs: { min: 10, max: 80 },
    maxConsecutiveMisses: 2,
    ...overrides,
  };
}

describe('Watchdog, line protocol (DESIGN.md fixed points)', () => {
  let mcu: MockMcu;
  let logger: RecordingLogger;
  let verdict: HealthVerdict;
  let dog: Watchdog | null;

  beforeEach(() => {
    mcu = new MockMcu(DEVICE);
    logger = new RecordingLogger();
    verdict = { ok: true, failing: [] };
    dog = null;
  });
  afterEach(async () => {
    await dog?.stop();
  });

  function make(overrides: Partial<WatchdogOptions> = {}): Watchdog {
    dog = new Watchdog(options(overrides), { health: () => verdict, logger, binding: mcu.binding });
    return dog;
  }

  it('writes exactly ARM <timeout>, HB 1, HB 2, ... and DISARM on a planned stop', async () => {
    const w = make();
    await expect(w.start()).resolves.toEqual({ armed: true });
    await waitFor(() => w.stats().heartbeatsSent >= 2 && w.stats().lastAnswer?.seq === 2, 'two answered heartbeats');
    await expect(w.stop()).resolves.toEqual({ disarmed: true });
    const written = mcu.written();
    expect(written.startsWith('ARM 60\nHB 1\nHB 2\n')).toBe(true);
    expect(written.endsWith('DISARM\n')).toBe(true);
    const lines = mcu.lines();
    const hbs = lines.slice(1, -1);
    hbs.forEach((line, i) => expect(line).toBe(`HB ${i + 1}`));
    expect(w.stats().answersMissed).toBe(0);
  });

  it('parses and exposes the MCU uptime and last reset cause from OK <seq>', async () => {
    const w = make();
    await w.start();
    await waitFor(() => w.stats().lastAnswer !== null, 'an answer');
    expect(w.stats().lastAnswer).toEqual({ seq: expect.any(Number), uptime: 1234, resetCause: 'POR' });
  });

  it('withholds heartbeats while a check fails, logs the failing check once, resumes after', async () => {
    verdict = { ok: false, failing: ['sqlite-writable'] };
    const w = make();
    await w.start();
    await waitFor(() => w.stats().heartbeatsWithheld >= 4, 'several withheld periods');
    expect(mcu.lines()).toEqual(['ARM 60']);
    const withheld = logger.matching(/heartbeat withheld/);
    expect(withheld).toHaveLength(1);
    expect(withheld[0]!.obj['failing']).toEqual(['sqlite-writable']);
    expect(withheld[0]!.msg).toContain('sqlite-writable');

    verdict = { ok: false, failing: ['sqlite-writable', 'sip-listeners'] };
    await waitFor(() => logger.matching(/heartbeat withheld/).length === 2, 'a second log line for a new failing set');

    verdict = { ok: true, failing: [] };
    await waitFor(() => w.stats().lastAnswer?.seq === 1, 'first heartbeat after recovery');
    expect(mcu.lines().slice(0, 2)).toEqual(['ARM 60', 'HB 1']);
    expect(logger.matching(/resumed/)).toHaveLength(1);
  });

  it('counts a wrong echo as a missed answer and re-opens the link after consecutive misses', async () => {
    mcu.respond = (line) => (line.startsWith('ARM') ? 'OK ARM' : line.startsWith('HB') ? 'OK 999' : null);
    const w = make();
    await w.start();
    await waitFor(() => w.stats().reopens >= 1, 'a re-open');
    expect(w.stats().answersMissed).toBeGreaterThanOrEqual(2);
    expect(logger.matching(/answer missed/).length).toBeGreaterThanOrEqual(2);
    // The re-opened link is armed again before its heartbeats.
    await waitFor(() => mcu.ports.length >= 2 && mcu.lines(1).length >= 1, 'ARM on the new port');
    expect(mcu.lines(1)[0]).toBe('ARM 60');
  });

  it('survives a vanished port: re-opens with backoff once it is back, then heartbeats resume', async () => {
    const w = make();
    await w.start();
    await waitFor(() => w.stats().lastAnswer !== null, 'first answer');
    mcu.vanish();
    await waitFor(() => logger.matching(/re-open failed/).length >= 2, 'failed re-open attempts');
    expect(w.stats().linkOpen).toBe(false);
    // Backoff doubles up to the maximum.
    const delays = logger.matching(/re-open failed/).map((e) => e.obj['retryInMs']);
    expect(delays.slice(0, 2)).toEqual([20, 40]);
    expect(logger.matching(/link lost/)).toHaveLength(1);
    mcu.reappear();
    await waitFor(() => w.stats().reopens === 1, 'the re-open');
    const sentBefore = w.stats().heartbeatsSent;
    await waitFor(() => w.stats().heartbeatsSent >= sentBefore + 2, 'heartbeats on the new link');
    const newLines = mcu.lines(mcu.ports.length - 1);
    expect(newLines[0]).toBe('ARM 60');
    expect(newLines[1]).toMatch(/^HB \d+$/);
  });

  it('re-sends ARM each period until the MCU confirms it, and only then heartbeats', async () => {
    let armsSeen = 0;
    mcu.respond = (line) => {
      if (line.startsWith('ARM ')) return ++armsSeen >= 2 ? 'OK ARM' : null;
      return standardResponder(line);
    };
    const w = make({ maxConsecutiveMisses: 1000 });
    await expect(w.start()).resolves.toEqual({ armed: false });
    expect(w.stats().armed).toBe(false);
    await waitFor(() => w.stats().lastAnswer?.seq === 1, 'first heartbeat answered');
    expect(mcu.lines().slice(0, 3)).toEqual(['ARM 60', 'ARM 60', 'HB 1']);
    expect(w.stats().armed).toBe(true);
    expect(w.stats().answersMissed).toBe(1);
  });

  it('start() rejects with WatchdogOpenError when the device cannot be opened', async () => {
    const w = new Watchdog(options({ device: '/dev/ttyNOPE' }), { health: () => verdict, logger, binding: mcu.binding });
    await expect(w.start()).rejects.toBeInstanceOf(WatchdogOpenError);
    await expect(w.start()).rejects.toThrow(/already started/);
  });

  it('reports an unconfirmed ARM as not armed and a missing OK DISARM as not disarmed', async () => {
    mcu.respond = () => null;
    const w = make({ maxConsecutiveMisses: 1000 });
    await expect(w.start()).resolves.toEqual({ armed: false });
    await expect(w.stop()).resolves.toEqual({ disarmed: false });
    expect(mcu.written().endsWith('DISARM\n')).toBe(true);
    expect(logger.matching(/did not confirm DISARM/)).toHaveLength(1);
  });
});

describe('Watchdog, kick protocol', () => {
  it('writes only the kick byte each period while healthy and nothing on stop', async () => {
    const mcu = new MockMcu(DEVICE);
    const logger = new RecordingLogger();
    let ok = true;
    const w = new Watchdog(options({ protocol: 'kick', kickByte: 0x2a }), {
      health: () => ({ ok, failing: ok ? [] : ['memory'] }),
      logger,
      binding: mcu.binding,
    });
    await w.start();
    await waitFor(() => w.stats().heartbeatsSent >= 3, 'three kicks');
    ok = false;
    await waitFor(() => w.stats().heartbeatsWithheld >= 2, 'withheld kicks');
    const sent = w.stats().heartbeatsSent;
    await expect(w.stop()).resolves.toEqual({ disarmed: false });
    expect(mcu.written()).toBe('*'.repeat(sent));
  });

  it('rejects a kick byte that is not a byte', () => {
    const logger = new RecordingLogger();
    expect(() => new Watchdog(options({ kickByte: 256 }), { health: () => ({ ok: true, failing: [] }), logger })).toThrow(RangeError);
  });
});

describe('Watchdog, /dev/watchdog backend', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'imedge-devwd-'));
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('writes a byte per period and the magic close character V on a planned stop', async () => {
    const file = path.join(dir, 'watchdog');
    await fsp.writeFile(file, '');
    const w = new Watchdog(options({ protocol: 'devwatchdog', device: file, kickByte: 0x2e }), {
      health: () => ({ ok: true, failing: [] }),
      logger: new RecordingLogger(),
    });
    await w.start();
    await waitFor(() => w.stats().heartbeatsSent >= 2, 'two pets');
    const sent = w.stats().heartbeatsSent;
    await expect(w.stop()).resolves.toEqual({ disarmed: true });
    expect(await fsp.readFile(file, 'latin1')).toBe('.'.repeat(sent) + 'V');
  });

  it('does not create a missing device and refuses V as the kick byte', async () => {
    const file = path.join(dir, 'missing');
    const w = new Watchdog(options({ protocol: 'devwatchdog', device: file }), {
      health: () => ({ ok: true, failing: [] }),
      logger: new RecordingLogger(),
    });
    await expect(w.start()).rejects.toThrow(/cannot open watchdog device/);
    await expect(fsp.access(file)).rejects.toThrow();
    expect(
      () => new Watchdog(options({ protocol: 'devwatchdog', device: file, kickByte: 0x56 }), {
        health: () => ({ ok: true, failing: [] }),
        logger: new RecordingLogger(),
      }),
    ).toThrow(/magic close/);
  });
});
