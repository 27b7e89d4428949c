import { startImedge } from './imedge-server';
import { registeredPairs } from './sessions';
import { cpuTicks } from './proc-stats';
async function metrics(port: number): Promise<Map<string, number>> {
  const t = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = new Map<string, number>();
  for (const line of t.split('\n')) { if (line.startsWith('#') || line === '') continue; const i = line.lastIndexOf(' '); m.set(line.slice(0, i), Number(line.slice(i + 1))); }
  return m;
}
async function main() {
  const s = await startImedge();
  const { callers, callees } = await registeredPairs(1, s.sipPort);
  callees[0].on('session', () => undefined);
  const N = Number(process.argv[2] ?? 200);
  const mode = process.argv[3] ?? 'setup';
  for (let i = 0; i < Number(process.env.WARM ?? 20); i++) { if (mode === 'setup') { const x = await callers[0].invite('callee0'); await x.send('w', { contentType: 'text/plain' }); await x.leave(); } else await callers[0].sendMessage('callee0', 'w'); }
  const m0 = await metrics(s.httpPort); const c0 = cpuTicks(s.pid) ?? 0;
  for (let i = 0; i < N; i++) { if (mode === 'setup') { const x = await callers[0].invite('callee0'); await x.send('ping', { contentType: 'text/plain' }); await x.leave(); } else await callers[0].sendMessage('callee0', 'ping'); }
  const c1 = cpuTicks(s.pid) ?? 0; const m1 = await metrics(s.httpPort);
  console.log(mode, 'server CPU ms per op', ((c1 - c0) * 10 / N).toFixed(2));
  for (const [k, v] of m1) { const d = v - (m0.get(k) ?? 0); if (d !== 0 && !k.includes('_bucket') && !k.startsWith('process_') && !k.startsWith('nodejs_')) console.log((d / N).toFixed(2).padStart(8), k); }
  for (const c of [...callers, ...callees]) await c.close(200).catch(() => undefined);
  await s.stop();
}
main().catch((e) => { console.error(e); process.exit(1); });
