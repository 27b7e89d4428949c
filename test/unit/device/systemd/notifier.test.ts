import { promises as fsp, readFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SystemdNotifier } from '../../../../src/device/systemd';
import type { HealthVerdict } from '../../../../src/device/logger';
import { RecordingLogger, waitFor } from '../helpers';

describe('SystemdNotifier', () => {
  let dir: string;
  let recorder: string;
  let record: string;
  let logger: RecordingLogger;
  let verdict: HealthVerdict;
  let now: number;

  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'imedge-notify-'));
    record = path.join(dir, 'calls');
    recorder = path.join(dir, 'fake-systemd-notify');
    // Stands in for systemd-notify: records its arguments and the socket it was given.
    await fsp.writeFile(recorder, `#!/bin/sh\necho "$NOTIFY_SOCKET $*" >> '${record}'\n`, { mode: 0o755 });
    logger = new RecordingLogger();
    verdict = { ok: true, failing: [] };
    now = 100_000;
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  function notifier(env: Record<string, string | undefined>, command = recorder): SystemdNotifier {
    return new SystemdNotifier(
      { env, minWatchdogIntervalMs: 1000, command },
      { logger, health: () => verdict, now: () => now },
    );
  }

  function recorded(): string[] {
    try {
      return readFileSync(record, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  /** The recorded helper calls, once there are at least `n`. */
  async function calls(n: number): Promise<string[]> {
    await waitFor(() => recorded().length >= n, `${n} calls`);
    return recorded();
  }

  it('does nothing without NOTIFY_SOCKET', async () => {
    const n = notifier({});
    expect(n.enabled).toBe(false);
    n.ready();
    n.watchdog();
    n.stopping();
    expect(n.watchdogIntervalMs()).toBeNull();
    await new Promise((r) => setTimeout(r, 50));
    expect(await calls(0)).toEqual([]);
  });

  it('sends --ready, WATCHDOG=1 (rate-limited) and STOPPING=1 through the helper', async () => {
    const n = notifier({ NOTIFY_SOCKET: '/run/test.sock' });
    n.ready();
    await calls(1);
    // A WATCHDOG=1 while the previous helper still runs is skipped by design: wait for it.
    await waitFor(() => n.stats().sent === 1, 'ready helper exited');
    n.watchdog();
    await calls(2);
    await waitFor(() => n.stats().sent === 2, 'children exited');
    n.watchdog(); // same instant: rate-limited
    expect(n.stats().skipped).toBe(1);
    now += 1000;
    n.watchdog();
    await calls(3);
    n.stopping();
    expect(await calls(4)).toEqual([
      '/run/test.sock --ready',
      '/run/test.sock WATCHDOG=1',
      '/run/test.sock WATCHDOG=1',
      '/run/test.sock STOPPING=1',
    ]);
  });

  it('withholds WATCHDOG=1 while a check fails, logging the failing checks once', async () => {
    const n = notifier({ NOTIFY_SOCKET: '/run/test.sock' });
    verdict = { ok: false, failing: ['sqlite-writable'] };
    n.watchdog();
    now += 5000;
    n.watchdog();
    expect(n.stats().watchdogWithheld).toBe(2);
    expect(logger.matching(/withheld/)).toHaveLength(1);
    expect(logger.matching(/withheld/)[0]!.obj['failing']).toEqual(['sqlite-writable']);
    verdict = { ok: true, failing: [] };
    n.watchdog();
    expect(await calls(1)).toEqual(['/run/test.sock WATCHDOG=1']);
  });

  it('logs a failing notification once (missing helper, then the real systemd-notify with no listener)', async () => {
    const missing = notifier({ NOTIFY_SOCKET: '/run/test.sock' }, path.join(dir, 'no-such-binary'));
    missing.ready();
    await waitFor(() => missing.stats().failed === 1, 'first failure');
    missing.stopping();
    await waitFor(() => missing.stats().failed === 2, 'second failure');
    expect(logger.entries.filter((e) => e.level === 'error')).toHaveLength(1);

    const real = notifier({ NOTIFY_SOCKET: path.join(dir, 'nobody-listens') }, 'systemd-notify');
    real.ready();
    await waitFor(() => real.stats().failed === 1, 'systemd-notify failure');
    expect(logger.entries.filter((e) => e.level === 'error')).toHaveLength(2);
  });

  it('derives the ping interval from WATCHDOG_USEC (half of it) and honours WATCHDOG_PID', () => {
    expect(notifier({ NOTIFY_SOCKET: 's', WATCHDOG_USEC: '20000000' }).watchdogIntervalMs()).toBe(10_000);
    expect(notifier({ NOTIFY_SOCKET: 's', WATCHDOG_USEC: '20000000', WATCHDOG_PID: String(process.pid) }).watchdogIntervalMs()).toBe(10_000);
    expect(notifier({ NOTIFY_SOCKET: 's', WATCHDOG_USEC: '20000000', WATCHDOG_PID: '1' }).watchdogIntervalMs()).toBeNull();
    expect(notifier({ NOTIFY_SOCKET: 's' }).watchdogIntervalMs()).toBeNull();
    expect(notifier({ NOTIFY_SOCKET: 's', WATCHDOG_USEC: '1000' }).watchdogIntervalMs()).toBe(1000);
  });
});
