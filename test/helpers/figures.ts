// Live figures of a running server read from its /metrics: sessions by kind and every
// imedge_msrp figure (livePairs, liveLegs, connectionsLive...), for "nothing left behind" checks.
import * as http from 'node:http';

export async function sessionFigures(httpPort: number): Promise<Record<string, number>> {
  const text = await new Promise<string>((resolve, reject) =>
    http.get({ host: '127.0.0.1', port: httpPort, path: '/metrics' }, (res) => {
      let t = '';
      res.on('data', (d) => (t += d));
      res.on('end', () => resolve(t));
    }).on('error', reject),
  );
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^imedge_sessions\{kind="([^"]+)"\} (\d+)/gm)) out[m[1]!] = Number(m[2]);
  for (const m of text.matchAll(/^imedge_msrp\{figure="(\w+)"\} (\d+)/gm)) out[m[1]!] = Number(m[2]);
  for (const m of text.matchAll(/^imedge_groups\{figure="(\w+)"\} (\d+)/gm)) out[`groups.${m[1]!}`] = Number(m[2]);
  for (const m of text.matchAll(/^imedge_group_switch\{figure="(\w+)"\} (\d+)/gm)) out[`switch.${m[1]!}`] = Number(m[2]);
  return out;
}
