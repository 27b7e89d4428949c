// Prometheus /metrics (prom-client). Every figure is read from its owner at scrape time
// through a small source function, so no hot path pays for metrics.
import type * as client from 'prom-client';
import type * as http from 'node:http';
import type { SipStats, TcpConnectionStats, TransactionCounts } from '../sip/stack';

/** The participating IM function's event counters (read-only; see ParticipatingFunction.stats). */
export interface ParticipatingCounters {
  setupFailures: number;
  setupTimeouts: number;
  reinviteTimeouts: number;
  lateAnswers: number;
  asyncErrors: number;
  releaseErrors: number;
}

/** The store's group commit (Store.groupCommitStats). */
export interface GroupCommitCounters {
  commits: number;
  writes: number;
  failed: number;
}

export interface MetricSources {
  sip: () => SipStats;
  sipTransactions: () => TransactionCounts;
  /** Requests received and not yet answered finally (incoming), sent and not yet answered (outgoing). */
  sipInFlight?: () => { incoming: number; outgoing: number };
  /** SIP TCP connections open now, refused and evicted at sip.maxTcpConnections. */
  sipTcp?: () => TcpConnectionStats;
  /** SIP requests refused (503) or dropped (UDP) for their source's rate (sip.maxRequestsPerSecondPerSource). */
  sipRateLimited?: () => { rejected: number; dropped: number; evicted: number; startedEmpty: number; tracked: number };
  groupCommit?: () => GroupCommitCounters;
  participating?: () => ParticipatingCounters;
  registrations: () => number;
  /** Bindings removed (soonest-expiring first) to make room for a new one at registrar.maxContactsPerUser. */
  contactsReplaced?: () => number;
  sample: () => { tempC: number | null; diskFreeBytes: number | null; memAvailableBytes: number | null; load1: number | null } | null;
  underPressure: () => boolean;
  checks: () => { name: string; ok: boolean }[];
  watchdog?: () => { heartbeatsSent: number; heartbeatsWithheld: number; answersMissed: number; reopens: number; linkOpen: boolean };
  /** Flat counters/gauges from the MSRP layer, e.g. {frames_in: 10}; exported as imedge_msrp_<name>. */
  msrp?: () => Record<string, number>;
  /** Sessions by kind ('1-1', 'adhoc', 'predefined', 'large-message'). */
  sessions?: () => Record<string, number>;
  /** Group sessions (controlling IM function): live sessions and participants, event counters. */
  groups?: () => Record<string, number>;
  /** The MSRP switches of group sessions: fan-out counters and live figures. */
  groupSwitch?: () => Record<string, number>;
  /** Admin HTTP connection slots: live, evicted (slow or idle, replaced by a newer client), refused. */
  admin?: () => { live: number; evicted: number; refused: number; perSourceRefused?: number; clientAborts?: number };
  /** The admin page: status streams open, and its counted events (fixed names: logins, refusals). */
  adminPage?: () => { statusStreams: number; events: Record<AdminPageEvent, number> };
  /** Promise rejections no catch took (a bug; logged, the process keeps serving). */
  unhandledRejections?: () => number;
  /** TLS listeners (only when TLS is on): handshakes completed and connections refused, per listener. */
  tls?: () => Record<TlsListener, TlsFigures>;
}

export type TlsListener = 'sip' | 'msrp';
export const ADMIN_PAGE_EVENTS = ['status_stream_refused', 'status_stream_slow_closed', 'login', 'login_refused', 'login_throttled', 'login_evicted', 'csrf_refused', 'host_refused', 'bearer_refused', 'bearer_throttled'] as const;
export type AdminPageEvent = (typeof ADMIN_PAGE_EVENTS)[number];
export interface TlsFigures {
  /** Handshakes completed on the TLS port. */
  handshakes: number;
  /** Refused, by reason: a handshake that failed on the TLS port (plain TCP, bad hello, timeout), a
   * peer certificate that did not verify when imedge dialled, an msrps: session reached in clear. */
  refused: Record<TlsRefusal, number>;
}
export type TlsRefusal = 'handshake' | 'peer-certificate' | 'clear-text';

/**
 * prom-client loads at the first scrape (a require on first use): with @opentelemetry/api,
 * bintrees and tdigest it is ~0.6 MB of heap, and its default collectors run an event-loop
 * delay histogram and a GC observer; a server nobody scrapes pays for none of it (issue 14
 * item 4).
 */
let promClient: typeof import('prom-client') | undefined;
const prom = (): typeof import('prom-client') => (promClient ??= require('prom-client') as typeof import('prom-client'));

/** A Counter that mirrors a monotonically growing number owned elsewhere. */
function mirror(registry: client.Registry, name: string, help: string, labelNames: string[], read: () => Map<string, [Record<string, string>, number]>) {
  const last = new Map<string, number>();
  return new (prom().Counter)({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      for (const [key, [labels, value]] of read()) {
        const prev = last.get(key);
        // a labelled series is shown from its first read, at 0 if nothing happened yet
        if (prev === undefined || value > prev) this.inc(labels, Math.max(0, value - (prev ?? 0)));
        last.set(key, Math.max(value, prev ?? 0));
      }
    },
  });
}

const byLabel = (label: string, rec: Record<string, number>) => new Map(Object.entries(rec).map(([k, v]) => [k, [{ [label]: k }, v] as [Record<string, string>, number]]));
/** Label values from a fixed list in this file, never from the record's keys (nor the wire). */
function fixedLabels<K extends string>(label: string, values: readonly K[], rec: Record<K, number>) {
  return new Map(values.map((k) => [k, [{ [label]: k }, rec[k]] as [Record<string, string>, number]]));
}
const single = (v: number) => new Map([['', [{}, v] as [Record<string, string>, number]]]);

const SIP_TRANSPORTS = ['UDP', 'TCP'] as const;
const TLS_LISTENERS: readonly TlsListener[] = ['sip', 'msrp'];
const TLS_REFUSALS: readonly TlsRefusal[] = ['handshake', 'peer-certificate', 'clear-text'];
const TCP_DIRECTIONS = ['in', 'out'] as const;

function gauge(registry: client.Registry, name: string, help: string, labelNames: string[], collect: (g: client.Gauge) => void) {
  return new (prom().Gauge)({ name, help, labelNames, registers: [registry], collect() { collect(this); } });
}

export function buildMetrics(src: MetricSources): { registry: client.Registry; handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> } {
  const { Registry, collectDefaultMetrics } = prom();
  const registry = new Registry();
  // Process RSS, CPU, heap and event-loop lag (prom-client's perf_hooks histogram).
  collectDefaultMetrics({ register: registry, prefix: 'imedge_', eventLoopMonitoringPrecision: 20 });

  mirror(registry, 'imedge_sip_requests_received_total', 'SIP requests received, by method', ['method'], () => byLabel('method', src.sip().requestsIn));
  mirror(registry, 'imedge_sip_responses_sent_total', 'SIP responses sent, by status code', ['code'], () => byLabel('code', src.sip().responsesOut));
  mirror(registry, 'imedge_sip_requests_sent_total', 'SIP requests sent (forwarded or originated), by method', ['method'], () => byLabel('method', src.sip().requestsOut));
  mirror(registry, 'imedge_sip_parse_errors_total', 'SIP messages that were malformed', [], () => single(src.sip().invalid));
  mirror(registry, 'imedge_sip_malformed_answered_total', 'malformed SIP requests answered with 4xx/5xx', [], () => single(src.sip().rejected));
  mirror(registry, 'imedge_sip_malformed_dropped_total', 'malformed SIP messages dropped (no way to answer)', [], () => single(src.sip().dropped));
  mirror(registry, 'imedge_sip_overload_total', 'SIP requests refused with 503 at the transaction limit', [], () => single(src.sip().overload));
  mirror(registry, 'imedge_sip_orphan_requests_total', 'SIP requests framed from a TCP/TLS connection closed since (a peer that stopped reading): dropped, no transaction opened', [], () => single(src.sip().orphaned));
  mirror(registry, 'imedge_sip_handler_errors_total', 'SIP request handlers that failed (answered 500)', [], () => single(src.sip().handlerErrors));
  mirror(registry, 'imedge_sip_overload_per_source_total', 'SIP requests refused with 503 because their source held its share of live transactions', [], () => single(src.sip().overloadPerSource));
  mirror(registry, 'imedge_sip_overload_per_target_total', 'SIP requests not sent because their target address held sip.maxTransactionsPerTarget pending ones already: answered at once (a forwarded one with 480 + Retry-After)', [], () => single(src.sip().overloadPerTarget));
  mirror(registry, 'imedge_sip_merged_refused_total', 'INVITEs answered 482 as merged copies (same Call-ID, From tag and CSeq, another branch) of one still pending here (RFC 3261 8.2.2.2)', [], () => single(src.sip().mergedRefused));
  mirror(registry, 'imedge_sip_loops_refused_total', 'SIP requests not sent because they were addressed to one of this server\'s own listeners (a contact naming the server): answered 482 Loop Detected at once (RFC 3261 16.3 item 4)', [], () => single(src.sip().loopsRefused));
  mirror(registry, 'imedge_sip_local_reserve_total', 'SIP requests answered here (REGISTER, CANCEL, OPTIONS to the server) that took a reserved slot because forwarded requests held all of sip.maxTransactions', [], () => single(src.sip().localReserve));
  mirror(registry, 'imedge_sip_acks_repeated_total', 'ACKs imedge sent again for a retransmitted 2xx to its INVITE (RFC 3261 13.2.2.4)', [], () => single(src.sip().acksRepeated));
  mirror(registry, 'imedge_sip_acks_forgotten_total', 'ACKs dropped before 64*T1 because sip.maxTransactions were kept: a retransmission of their 2xx goes unACKed', [], () => single(src.sip().acksForgotten));
  mirror(registry, 'imedge_sip_acks_withheld_total', 'Copies of a 2xx past 16 for one ACK, left unACKed (a UAS resends its 2xx about 10 times in 64*T1; more is a peer looping 2xx for ACK)', [], () => single(src.sip().acksWithheld));
  mirror(registry, 'imedge_sip_unwanted_dialogs_ended_total', 'Second dialogs of an answered INVITE (a 2xx with another To tag): ACKed and ended with BYE (RFC 3261 13.2.2.4)', [], () => single(src.sip().unwantedDialogsEnded));
  mirror(registry, 'imedge_sip_cancelled_invites_abandoned_total', 'INVITEs imedge cancelled that got no final response within 64*T1 of the CANCEL, ended with 408 (RFC 3261 9.1)', [], () => single(src.sip().cancelledInvitesAbandoned));
  mirror(registry, 'imedge_sip_tcp_slow_closed_total', 'SIP TCP/TLS connections closed as slow: a SIP message not complete within sip.tcpMessageTimeoutMs (slowloris: never a message, or one left half-sent), or a peer that left more than sip.maxTcpOutputBytes of answers unread (output)', ['reason'], () =>
    fixedLabels('reason', ['no-message', 'partial-message', 'output'] as const, { ...src.sip().slowClosed, output: src.sipTcp?.().outputClosed ?? 0 }));
  mirror(registry, 'imedge_sip_completed_evicted_total', 'completed SIP server transactions dropped (oldest first) to stay within their bound', [], () => single(src.sip().completedEvicted));
  mirror(registry, 'imedge_sip_keepalives_total', 'SIP keep-alives received (RFC 5626 CRLF pings, STUN on UDP), by transport', ['transport'], () => fixedLabels('transport', SIP_TRANSPORTS, src.sip().keepalives));
  gauge(registry, 'imedge_sip_transactions', 'SIP transactions now: server (live + completed), server_live (no final answer yet), server_completed (kept for retransmissions), client', ['kind'], (g) => {
    const t = src.sipTransactions();
    g.set({ kind: 'server' }, t.server);
    g.set({ kind: 'server_live' }, t.serverLive);
    g.set({ kind: 'server_completed' }, t.serverCompleted);
    g.set({ kind: 'client' }, t.client);
  });
  if (src.sipInFlight) {
    const f = src.sipInFlight;
    gauge(registry, 'imedge_sip_in_flight', 'SIP requests now without a final response: incoming (received, not yet answered), outgoing (sent, not yet answered)', ['direction'], (g) => {
      const t = f();
      g.set({ direction: 'incoming' }, t.incoming);
      g.set({ direction: 'outgoing' }, t.outgoing);
    });
  }
  if (src.sipTcp) {
    const tcp = src.sipTcp;
    gauge(registry, 'imedge_sip_tcp_connections', 'SIP TCP connections open now (accepted and dialed)', [], (g) => g.set(tcp().live));
    gauge(registry, 'imedge_sip_tcp_connections_limit', 'sip.maxTcpConnections', [], (g) => g.set(tcp().limit));
    mirror(registry, 'imedge_sip_tcp_connections_refused_total', 'SIP TCP connections closed (in) or dials refused (out) at sip.maxTcpConnections', ['direction'], () => fixedLabels('direction', TCP_DIRECTIONS, tcp().refused));
    mirror(registry, 'imedge_sip_tcp_connections_refused_per_source_total', 'inbound SIP TCP/TLS connections closed because their address held sip.maxTcpConnectionsPerSource connections, or tls.maxHandshakesPerSource handshakes, already', [], () => single(tcp().refusedPerSource));
    mirror(registry, 'imedge_sip_tcp_output_paused_total', 'SIP TCP/TLS connections no longer read for a while because their peer left more than sip.maxTcpOutputBytes of answers unread', [], () => single(tcp().outputPaused));
    mirror(registry, 'imedge_sip_tcp_connections_evicted_total', 'quiet inbound SIP TCP connections closed at sip.maxTcpConnections to make room for a new one (sip.tcpQuietMs)', [], () => single(tcp().evicted));
  }
  if (src.sipRateLimited) {
    const rl = src.sipRateLimited;
    // no per-source label: the sources are the peers' to choose, the log names them (once per source per second)
    mirror(registry, 'imedge_sip_rate_limited_total', 'SIP requests over their source address rate (sip.maxRequestsPerSecondPerSource): answered 503 + Retry-After (action=rejected) or dropped unanswered (action=dropped: UDP requests after the second\'s first 503, and ACKs, responses and UDP keep-alives, which are never answered)', ['action'], () => fixedLabels('action', ['rejected', 'dropped'] as const, { rejected: rl().rejected, dropped: rl().dropped }));
    mirror(registry, 'imedge_sip_rate_sources_evicted_total', 'source addresses forgotten by the SIP rate limiter to stay within sip.maxRateTrackedSources', [], () => single(rl().evicted));
    mirror(registry, 'imedge_sip_rate_sources_started_empty_total', 'source addresses first seen while the SIP rate limiter tracked sip.maxRateTrackedSources already: started with an empty bucket (no burst), so rotating addresses cannot bypass the limit', [], () => single(rl().startedEmpty));
    gauge(registry, 'imedge_sip_rate_sources_tracked', 'source addresses the SIP rate limiter tracks now', [], (g) => g.set(rl().tracked));
  }
  if (src.groupCommit) {
    const gc = src.groupCommit;
    mirror(registry, 'imedge_store_group_commits_total', 'SQLite transactions committed for batched writes', [], () => single(gc().commits));
    mirror(registry, 'imedge_store_group_commit_writes_total', 'writes committed as part of a batch', [], () => single(gc().writes));
    mirror(registry, 'imedge_store_group_commit_failed_total', 'batched writes that failed (the rest of their batch still committed)', [], () => single(gc().failed));
  }
  if (src.participating) {
    const pf = src.participating;
    mirror(registry, 'imedge_im_setup_failures_total', 'IM session set-ups that threw (caller 500, callee released)', [], () => single(pf().setupFailures));
    mirror(registry, 'imedge_im_setup_timeouts_total', 'IM sessions released because they were not established within sessions.setupTimeoutMs', [], () => single(pf().setupTimeouts));
    mirror(registry, 'imedge_im_reinvite_timeouts_total', 'relayed re-INVITEs with no final answer within sessions.setupTimeoutMs (CANCELed, client 408)', [], () => single(pf().reinviteTimeouts));
    mirror(registry, 'imedge_im_late_answers_total', '2xx answers that arrived for an IM session already released', [], () => single(pf().lateAnswers));
    mirror(registry, 'imedge_im_async_errors_total', 'fire-and-forget steps of the IM function that failed', [], () => single(pf().asyncErrors));
    mirror(registry, 'imedge_im_release_errors_total', 'IM session release steps that threw (the other steps still ran)', [], () => single(pf().releaseErrors));
  }
  gauge(registry, 'imedge_registrations', 'registered contact bindings', [], (g) => g.set(src.registrations()));
  if (src.contactsReplaced) {
    const cr = src.contactsReplaced;
    mirror(registry, 'imedge_registrar_contacts_replaced_total', 'bindings removed to make room for a new contact at registrar.maxContactsPerUser (the one that expires soonest goes)', [], () => single(cr()));
  }
  gauge(registry, 'imedge_cpu_temperature_celsius', 'SoC temperature (absent when the board has no sensor)', [], (g) => {
    const t = src.sample()?.tempC;
    if (t === null || t === undefined) g.reset();
    else g.set(t);
  });
  gauge(registry, 'imedge_disk_free_bytes', 'free bytes on the file system of the data dir', [], (g) => {
    const d = src.sample()?.diskFreeBytes;
    if (d !== null && d !== undefined) g.set(d);
  });
  gauge(registry, 'imedge_mem_available_bytes', 'MemAvailable of the host', [], (g) => {
    const d = src.sample()?.memAvailableBytes;
    if (d !== null && d !== undefined) g.set(d);
  });
  gauge(registry, 'imedge_load1', '1-minute load average', [], (g) => {
    const d = src.sample()?.load1;
    if (d !== null && d !== undefined) g.set(d);
  });
  gauge(registry, 'imedge_under_pressure', '1 while new sessions and registrations are refused with 503', [], (g) => g.set(src.underPressure() ? 1 : 0));
  gauge(registry, 'imedge_health_check_ok', 'named health checks (1 = passing)', ['check'], (g) => {
    for (const c of src.checks()) g.set({ check: c.name }, c.ok ? 1 : 0);
  });
  if (src.watchdog) {
    const w = src.watchdog;
    mirror(registry, 'imedge_watchdog_heartbeats_sent_total', 'heartbeats sent to the watchdog', [], () => single(w().heartbeatsSent));
    mirror(registry, 'imedge_watchdog_heartbeats_withheld_total', 'heartbeats withheld because a health check failed', [], () => single(w().heartbeatsWithheld));
    mirror(registry, 'imedge_watchdog_answers_missed_total', 'heartbeats the MCU did not echo in time', [], () => single(w().answersMissed));
    mirror(registry, 'imedge_watchdog_reopens_total', 'times the watchdog link was re-opened', [], () => single(w().reopens));
    gauge(registry, 'imedge_watchdog_link_open', '1 while the watchdog serial link is open', [], (g) => g.set(w().linkOpen ? 1 : 0));
  }
  if (src.sessions) {
    const s = src.sessions;
    gauge(registry, 'imedge_sessions', 'IM sessions, by kind', ['kind'], (g) => {
      for (const [kind, n] of Object.entries(s())) g.set({ kind }, n);
    });
  }
  if (src.msrp) {
    const m = src.msrp;
    gauge(registry, 'imedge_msrp', 'MSRP layer figures (frames, bytes, legs, ring high-water marks, pauses, 4xx, parse errors)', ['figure'], (g) => {
      for (const [figure, n] of Object.entries(m())) g.set({ figure }, n);
    });
  }

  if (src.groups) {
    const gr = src.groups;
    gauge(registry, 'imedge_groups', 'pre-defined groups stored (stored) and refused at groups.maxStoredGroups (storedRefused); group sessions: live sessions, participants, invitations, joins, refusals, removals', ['figure'], (g) => {
      g.reset();
      for (const [figure, n] of Object.entries(gr())) g.set({ figure }, n);
    });
  }
  if (src.groupSwitch) {
    const sw = src.groupSwitch;
    gauge(registry, 'imedge_group_switch', 'MSRP switch of group sessions (messages in, deliveries, reports, slow removals, ring peaks)', ['figure'], (g) => {
      // live figures (participants...) vanish with the last session: no stale value stays behind
      g.reset();
      for (const [figure, n] of Object.entries(sw())) g.set({ figure }, n);
    });
  }

  if (src.tls) {
    const t = src.tls;
    mirror(registry, 'imedge_tls_handshakes_total', 'TLS handshakes completed on the SIP and MSRP TLS ports', ['listener'], () =>
      new Map(TLS_LISTENERS.map((l) => [l, [{ listener: l }, t()[l].handshakes] as [Record<string, string>, number]])));
    mirror(registry, 'imedge_tls_refused_total', 'TLS connections refused: failed handshake on a TLS port (plain TCP, bad hello, timeout), dialled peer certificate not verified (tls.verifyPeer), msrps: session reached in clear', ['listener', 'reason'], () => {
      const now = t();
      const out = new Map<string, [Record<string, string>, number]>();
      for (const l of TLS_LISTENERS) for (const r of TLS_REFUSALS) out.set(`${l}|${r}`, [{ listener: l, reason: r }, now[l].refused[r]]);
      return out;
    });
  }
  if (src.unhandledRejections) {
    const u = src.unhandledRejections;
    mirror(registry, 'imedge_unhandled_rejections_total', 'promise rejections no handler caught (each is a bug; logged)', [], () => single(u()));
  }
  if (src.admin) {
    const a = src.admin;
    gauge(registry, 'imedge_admin_connections', 'admin HTTP connections now (live)', [], (g) => g.set(a().live));
    mirror(registry, 'imedge_admin_connections_evicted_total', 'admin HTTP connections closed to make room (slow or idle clients)', [], () => single(a().evicted));
    mirror(registry, 'imedge_admin_connections_refused_total', 'admin HTTP connections refused (every slot serving a request)', [], () => single(a().refused));
    mirror(registry, 'imedge_admin_connections_refused_per_source_total', 'admin HTTP connections closed at once: their address held http.maxConnectionsPerAddress already', [], () => single(a().perSourceRefused ?? 0));
    mirror(registry, 'imedge_admin_client_aborts_total', 'admin requests whose client closed the connection before the body was complete', [], () => single(a().clientAborts ?? 0));
  }
  if (src.adminPage) {
    const p = src.adminPage;
    gauge(registry, 'imedge_admin_status_streams', 'admin page status streams (Server-Sent Events) open now', [], (g) => g.set(p().statusStreams));
    mirror(registry, 'imedge_admin_page_events_total', 'admin page events: status streams refused at http.maxStatusClients or closed as too slow, logins made, refused (wrong token), throttled, evicted at http.maxLogins, changes refused for CSRF/Origin, browser requests refused for their Host', ['event'], () => {
      const now = p().events;
      return new Map(ADMIN_PAGE_EVENTS.map((e) => [e, [{ event: e }, now[e]] as [Record<string, string>, number]]));
    });
  }

  return {
    registry,
    handler: async (_req, res) => {
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    },
  };
}

/**
 * The /metrics handler of a server: the registry (and prom-client with it) is built at the
 * first scrape. Counters mirror totals owned elsewhere, so a late start loses nothing; the
 * default collectors (GC durations, event-loop lag) count from the first scrape on.
 */
export function lazyMetricsHandler(src: MetricSources): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> {
  let handler: ((req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>) | undefined;
  return (req, res) => {
    handler ??= buildMetrics(src).handler;
    return handler(req, res);
  };
}
