// Every figure the stack, the store and the IM function keep reaches /metrics of a running
// `imedge serve`: keep-alives by transport, per-source overload, evicted completed
// transactions, live/completed transaction kinds, SIP TCP connections live/refused/evicted (with
// sip.maxTcpConnections from the environment), group-commit and participating counters.
// Label values come from fixed sets: only the listed ones may appear.
import * as dgram from 'node:dgram';
import * as http from 'node:http';
import * as net from 'node:net';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { startServer, type ServerHandle } from '../../helpers/server';
import { SipPeer } from '../../helpers/sip-peer';

interface Family {
  name: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string> }[];
}

function scrape(port: number): Promise<Family[]> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve(parsePrometheusTextFormat(text) as Family[]));
    }).on('error', reject);
  });
}

/** The value of one series (labels matched exactly on the given keys); undefined when absent. */
function value(families: Family[], name: string, labels: Record<string, string> = {}): number | undefined {
  const fam = families.find((f) => f.name === name);
  const m = fam?.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  return m?.value === undefined ? undefined : Number(m.value);
}

function labelValues(families: Family[], name: string, label: string): string[] {
  return (families.find((f) => f.name === name)?.metrics ?? []).map((m) => m.labels?.[label] ?? '').sort();
}

async function until(pred: () => Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('/metrics carries the stack, store and IM counters', () => {
  let s: ServerHandle;
  beforeAll(async () => {
    s = await startServer({ env: { IMEDGE_SIP__MAX_TCP_CONNECTIONS: '2' } });
  });
  afterAll(async () => {
    expect(await s.stop()).toBe(0);
  });

  test('each new series is present, driven where the test can drive it, with fixed label values only', async () => {
    // RFC 5626 4.4.1: a CRLF ping on TCP is answered with a pong; on UDP it is taken silently.
    const tcp1 = await SipPeer.open('TCP', s.sipPort);
    after.push(() => tcp1.close());
    const reg = await tcp1.request({ method: 'REGISTER', uri: 'sip:localhost', from: 'sip:metrics@localhost', to: 'sip:metrics@localhost', contact: `<${tcp1.contactUri}>`, headers: { Expires: '300' } });
    expect(reg.status).toBe(200);
    let pingerClosed = false;
    const pong = await new Promise<string>((resolve) => {
      const c = net.connect(s.sipPort, '127.0.0.1', () => c.write('\r\n\r\n'));
      c.once('data', (d) => resolve(d.toString('latin1')));
      c.on('error', () => undefined);
      c.on('close', () => (pingerClosed = true));
      after.push(() => c.destroy());
    });
    expect(pong).toBe('\r\n');
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    after.push(() => udp.close());
    udp.send('\r\n\r\n', s.sipPort, '127.0.0.1');
    await until(async () => value(await scrape(s.httpPort), 'imedge_sip_keepalives_total', { transport: 'UDP' }) === 1, 'the UDP keep-alive counted');

    // sip.maxTcpConnections=2 from the environment: the two connections above fill it. A third
    // takes the slot of the one that never carried a SIP message (keep-alives do not count)...
    const tcp2 = await SipPeer.open('TCP', s.sipPort);
    after.push(() => tcp2.close());
    await until(async () => pingerClosed, 'the keep-alive-only connection evicted');
    expect((await tcp2.request({ method: 'OPTIONS', uri: 'sip:localhost', from: 'sip:metrics@localhost', to: 'sip:localhost' })).status).toBe(200);
    // ...and with every slot just used, a fourth is refused
    const refused = await new Promise<string>((resolve) => {
      const c = net.connect(s.sipPort, '127.0.0.1');
      let text = '';
      c.on('data', (d) => (text += d));
      c.on('error', () => undefined);
      c.on('close', () => resolve(text));
    });
    expect(refused).toBe('');

    const f = await scrape(s.httpPort);
    expect(value(f, 'imedge_sip_keepalives_total', { transport: 'TCP' })).toBe(1);
    expect(value(f, 'imedge_sip_keepalives_total', { transport: 'UDP' })).toBe(1);
    expect(labelValues(f, 'imedge_sip_keepalives_total', 'transport')).toEqual(['TCP', 'UDP']);

    expect(value(f, 'imedge_sip_tcp_connections')).toBe(2);
    expect(value(f, 'imedge_sip_tcp_connections_limit')).toBe(2);
    expect(value(f, 'imedge_sip_tcp_connections_refused_total', { direction: 'in' })).toBe(1);
    expect(value(f, 'imedge_sip_tcp_connections_refused_total', { direction: 'out' })).toBe(0);
    expect(value(f, 'imedge_sip_tcp_connections_evicted_total')).toBe(1);
    expect(labelValues(f, 'imedge_sip_tcp_connections_refused_total', 'direction')).toEqual(['in', 'out']);

    expect(value(f, 'imedge_sip_overload_per_source_total')).toBe(0);
    expect(value(f, 'imedge_sip_completed_evicted_total')).toBe(0);
    expect(value(f, 'imedge_sip_cancelled_invites_abandoned_total')).toBe(0);
    expect(value(f, 'imedge_sip_acks_repeated_total')).toBe(0);
    expect(value(f, 'imedge_sip_acks_forgotten_total')).toBe(0);
    expect(value(f, 'imedge_sip_acks_withheld_total')).toBe(0);
    expect(value(f, 'imedge_sip_unwanted_dialogs_ended_total')).toBe(0);
    expect(labelValues(f, 'imedge_sip_in_flight', 'direction')).toEqual(['incoming', 'outgoing']);
    expect(value(f, 'imedge_sip_in_flight', { direction: 'outgoing' })).toBe(0);
    expect(labelValues(f, 'imedge_sip_transactions', 'kind')).toEqual(['client', 'server', 'server_completed', 'server_live']);
    for (const kind of ['client', 'server', 'server_completed', 'server_live']) expect(value(f, 'imedge_sip_transactions', { kind })).toBeGreaterThanOrEqual(0);

    // The test's REGISTER rode in the group commit (its 200 waited for that commit): one write, one commit.
    expect(value(f, 'imedge_store_group_commits_total')).toBeGreaterThanOrEqual(1);
    expect(value(f, 'imedge_store_group_commit_writes_total')).toBeGreaterThanOrEqual(1);
    expect(value(f, 'imedge_store_group_commit_failed_total')).toBe(0);

    for (const n of ['imedge_im_setup_failures_total', 'imedge_im_setup_timeouts_total', 'imedge_im_reinvite_timeouts_total', 'imedge_im_late_answers_total', 'imedge_im_async_errors_total', 'imedge_im_release_errors_total']) {
      expect({ n, v: value(f, n) }).toEqual({ n, v: 0 });
    }
  });

  const after: (() => void)[] = [];
  afterEach(() => after.splice(0).forEach((fn) => fn()));
});
