// Live figures of a running server read from its /metrics: sessions by kind and every
// imedge_msrp figure (livePairs, liveLegs, connectionsLive...), for "nothing left behind" checks.
import * as http from 'node:http';

/** The server's /metrics text. */
export function metricsText(httpPort: number): Promise<string> {
  return new Promise<string>((resolve, reject) =>
    http.get({ host: '127.0.0.1', port: httpPort, path: '/metrics' }, (res) => {
      let t = '';
      res.on('data', (d) => (t += d));
      res.on('end', () => resolve(t));
    }).on('error', reject),
  );
}

export async function sessionFigures(httpPort: number): Promise<Record<string, number>> {
  const text = await metricsText(httpPort);
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^imedge_sessions\{kind="([^"]+)"\} (\d+)/gm)) out[m[1]!] = Number(m[2]);
  for (const m of text.matchAll(/^imedge_msrp\{figure="(\w+)"\} (\d+)/gm)) out[m[1]!] = Number(m[2]);
  for (const m of text.matchAll(/^imedge_groups\{figure="(\w+)"\} (\d+)/gm)) out[`groups.${m[1]!}`] = Number(m[2]);
  for (const m of text.matchAll(/^imedge_group_switch\{figure="(\w+)"\} (\d+)/gm)) out[`switch.${m[1]!}`] = Number(m[2]);
  return out;
}

/** imedge_sip_* figures: transactions by kind, in-flight by direction, abandoned CANCELled INVITEs, 1-1 sessions. */
export async function sipFigures(httpPort: number): Promise<Record<string, number>> {
  const text = await metricsText(httpPort);
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^imedge_sip_transactions\{kind="(\w+)"\} (\d+)/gm)) out[`transactions_${m[1]}`] = Number(m[2]);
  for (const m of text.matchAll(/^imedge_sip_in_flight\{direction="(\w+)"\} (\d+)/gm)) out[`in_flight_${m[1]}`] = Number(m[2]);
  for (const m of text.matchAll(/^imedge_sip_cancelled_invites_abandoned_total (\d+)/gm)) out.abandoned = Number(m[1]);
  for (const m of text.matchAll(/^imedge_sessions\{kind="1-1"\} (\d+)/gm)) out.sessions = Number(m[1]);
  return out;
}
