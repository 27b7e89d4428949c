import { startImedge } from './imedge-server';
import { registeredPairs, holdSessions } from './sessions';
import { memStatus } from './proc-stats';
async function main() {
  const s = await startImedge();
  const { callers } = await registeredPairs(8, s.sipPort);
  const N = Number(process.argv[2] ?? 400);
  const rss0 = memStatus(s.pid)?.rssKb ?? 0;
  if (process.argv[3] === 'snap0') { s.proc.kill('SIGUSR2'); await new Promise((r) => setTimeout(r, 8000)); }
  const held = await holdSessions(callers, N);
  console.log('held', held.length, 'rss +KB/session right after', (((memStatus(s.pid)?.rssKb ?? 0) - rss0) / N).toFixed(1));
  await new Promise((r) => setTimeout(r, Number(process.env.HOLD_WAIT_MS ?? 36000)));
  console.log('rss +KB/session after wait', (((memStatus(s.pid)?.rssKb ?? 0) - rss0) / N).toFixed(1));
  s.proc.kill('SIGUSR2');
  await new Promise((r) => setTimeout(r, 10000));
  for (const h of held) await h.leave().catch(() => undefined);
  await s.stop();
}
main().catch((e) => { console.error(e); process.exit(1); });
