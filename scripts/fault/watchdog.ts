// Issue 11 item 6(d): a blocked event loop in the real `imedge serve` stops the heartbeats.
// The server talks to a fake MCU over a socat pseudo-terminal (test/integration/device/pty.ts);
// debug.allowBlockLoop lets SIGUSR2 block its loop (src/cli/serve.ts). What the MCU sees:
// heartbeats, then none for the whole block, then (the health check having seen the lag) a
// withheld heartbeat, then heartbeats again. The component half (Watchdog + HealthMonitor in
// one process) is test/integration/device/watchdog-pty.test.ts.
//
//   node dist/scripts/fault/watchdog.js [--runs N]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServer } from '../../test/helpers/server';
import { FakeMcu, PtyPair } from '../../test/integration/device/pty';
import { intArg, runMain, until } from './common';

export interface WatchdogFigures {
  runs: number;
  periodMs: number;
  blockMs: number;
  /** Per run: the longest silence the MCU saw across the block, in ms (MCU clock). */
  gapsMs: number[];
  /** Heartbeats the MCU received while the loop was blocked (must be 0 in every run). */
  heartbeatsDuringBlock: number;
  /** Runs in which the heartbeat after the block was withheld with event-loop failing. */
  withheldAfterBlock: number;
}

const PERIOD_MS = 100;
const HARD_LAG_MS = 400;

export async function runWatchdogFault(runs = 1): Promise<WatchdogFigures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imedge-fault-wd-'));
  const pty = await PtyPair.start(dir);
  const mcu = await FakeMcu.start(pty.b);
  const blockMs = 2 * Math.max(HARD_LAG_MS, PERIOD_MS);
  const figures: WatchdogFigures = { runs, periodMs: PERIOD_MS, blockMs, gapsMs: [], heartbeatsDuringBlock: 0, withheldAfterBlock: 0 };
  try {
    const s = await startServer({
      args: ['--watchdog-device', pty.a],
      env: {
        IMEDGE_WATCHDOG__PERIOD_MS: String(PERIOD_MS),
        IMEDGE_WATCHDOG__ANSWER_TIMEOUT_MS: '80',
        IMEDGE_WATCHDOG__TIMEOUT_S: '5',
        IMEDGE_HEALTH__HARD_MAX_EVENT_LOOP_LAG_MS: String(HARD_LAG_MS),
        IMEDGE_HEALTH__MAX_EVENT_LOOP_LAG_MS: String(HARD_LAG_MS / 2),
        IMEDGE_HEALTH__FAST_SAMPLE_INTERVAL_MS: '50',
        IMEDGE_DEBUG__ALLOW_BLOCK_LOOP: 'true',
      },
    });
    try {
      const hbs = () => mcu.events.filter((e) => e.event === 'line' && e.line?.startsWith('HB '));
      for (let run = 1; run <= runs; run++) {
        const before = hbs().length;
        await until(() => hbs().length >= before + 3, `run ${run}: heartbeats before the block`);
        const withheldBefore = s.lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('watchdog heartbeat withheld')).length;
        const releasedBefore = s.lines.filter((l) => l.msg === 'debug: event loop released').length;
        const atSignal = hbs().length;
        s.proc.kill('SIGUSR2');
        await until(() => s.lines.filter((l) => l.msg === 'debug: event loop released').length > releasedBefore, `run ${run}: the block ends`, blockMs + 10_000);
        await until(() => hbs().length >= atSignal + 3, `run ${run}: heartbeats resume`);
        // the block starts after the signal and lasts blockMs: the widest gap from the signal on spans it
        const times = hbs().slice(Math.max(0, atSignal - 1)).map((e) => e.ms);
        let gap = 0;
        for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i]! - times[i - 1]!);
        figures.gapsMs.push(gap);
        // a heartbeat inside the block would split the gap: none may arrive within blockMs of another there
        if (gap < blockMs - PERIOD_MS / 2) figures.heartbeatsDuringBlock++;
        const withheld = s.lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('watchdog heartbeat withheld'));
        if (withheld.slice(withheldBefore).some((l) => JSON.stringify(l.failing).includes('event-loop'))) figures.withheldAfterBlock++;
      }
    } finally {
      await s.stop();
    }
  } finally {
    await mcu.stop();
    await pty.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

runMain(module, () => runWatchdogFault(intArg('runs', 5)));
