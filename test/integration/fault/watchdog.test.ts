// Issue 11 item 6(d): scripts/fault/watchdog.ts, one run (the script takes --runs N).
import * as v from 'valibot';
import { configSchema } from '../../../src/config/schema';
import { runWatchdogFault } from '../../../scripts/fault/watchdog';

test('issue 11 item 6(d): SIGUSR2 (debug.allowBlockLoop) blocks the real server loop: the MCU gets no heartbeat for the whole block, the next one is withheld (event-loop), then they resume', async () => {
  const f = await runWatchdogFault(1);
  expect(f.heartbeatsDuringBlock).toBe(0);
  expect(f.gapsMs[0]).toBeGreaterThanOrEqual(f.blockMs - f.periodMs / 2);
  expect(f.withheldAfterBlock).toBe(1);
}, 60_000);

test('issue 11 item 6(d): debug.allowBlockLoop is off by default (SIGUSR2 then keeps its default action)', () => {
  expect(v.parse(configSchema, {}).debug.allowBlockLoop).toBe(false);
});
