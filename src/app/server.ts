// Composition root: builds every part from the configuration, starts them in order, and
// stops them in the reverse order. Nothing below this file reads the config object itself.
import type { Config } from '../config';
// the config's small helpers by file: the index would load the schema (valibot), which the
// running server does not need (src/config/load-apart.ts)
import { authRequired } from '../config/rules';
import { isLoopback } from '../config/net';
import { loadTlsMaterial } from '../config/tls';
import { child, type Logger } from '../log';
import { isStoreFull, openStore, type Store } from '../store';
import { SipStack, type IncomingRequest } from '../sip/stack';
import { DigestAuthenticator } from '../core/auth/digest';
import { AuthGate } from '../core/auth/gate';
import { loadNonceSecret } from '../core/auth/nonce-secret';
import { Registrar } from '../core/registrar';
import { answeredLocally, Router } from '../core/router';
import { AdminServer, type HealthReport } from '../admin/http';
import { loadAdminToken } from '../admin/token';
import { fitCaps, openFileLimit } from './fd-budget';
import { GroupService, groupHandler, groupListHandler } from '../admin/groups';
import { ADMIN_PAGE_EVENTS, lazyMetricsHandler, type AdminPageEvent } from '../admin/metrics';
import { AdminAuth } from '../admin/auth';
import { defaultUiDir, loadAssets, type Asset } from '../admin/assets';
import { StatusStream, type StatusSnapshot } from '../admin/status';
import { participantHandler, registrationsHandler, sessionHandler, sessionsHandler } from '../admin/people';
import { userHandler, usersHandler } from '../admin/users';
import { groupFormHandler } from '../admin/group-form';
import { addUser, deleteUser } from '../store';
import * as os from 'node:os';
import { packageVersion } from './version';
import { buildDevice, type Device } from './device';
import { MsrpRelay } from '../msrp/relay';
import { ParticipatingFunction } from '../im/participating/b2bua';
import { ControllingFunction, isReservedName } from '../im/controlling/focus';
import { ConferenceEventPackage } from '../im/events';
import { imDispatch } from './im-dispatch';
import { parseGroupDocument, type GroupDocument } from '../xml';

// For the command line's exit codes (cli may not import core).
export { NonceSecretError } from '../core/auth/nonce-secret';

/** Process-wide (the handler is on `process`): rejections no catch took, for /metrics. */
export const unhandledRejections = { count: 0 };

export interface RunningServer {
  readonly config: Config;
  /** sips and msrps: the TLS ports, null without TLS. */
  readonly ports: { sip: number; udp: boolean; tcp: boolean; msrp: number | null; http: number; sips: number | null; msrps: number | null };
  readonly store: Store;
  readonly sip: SipStack;
  readonly router: Router;
  readonly registrar: Registrar;
  readonly device: Device;
  readonly msrp: MsrpRelay;
  readonly participating: ParticipatingFunction;
  readonly controlling: ControllingFunction;
  readonly groups: GroupService;
  health(): HealthReport;
  /** SIP requests and MSRP frames received so far (serve() ends the V8 start-up settings at the first). */
  traffic(): number;
  /** Graceful stop: refuse new work, let transactions finish (bounded), close everything. */
  stop(): Promise<void>;
}

/** How long a planned stop waits for in-flight SIP transactions. */
const DRAIN_LIMIT_MS = 3000;

export async function startServer(cfg: Config, log: Logger): Promise<RunningServer> {
  const startedAt = Date.now();
  // tls.cert / tls.key / tls.ca read and checked before anything binds (a ConfigError names the key)
  const tls = loadTlsMaterial(cfg);
  if (tls !== undefined) {
    const facts = { subject: tls.subject, validTo: tls.validTo, verifyPeer: tls.verifyPeer };
    if (tls.outOfDate) log.warn(facts, 'TLS certificate (tls.cert) is outside its validity period: peers that verify it will refuse it');
    else log.info(facts, 'TLS on');
  }
  const store = openStore({
    dataDir: cfg.dataDir,
    synchronous: cfg.store.synchronous,
    cacheSizeKiB: cfg.store.cacheSizeKiB,
    busyTimeoutMs: cfg.store.busyTimeoutMs,
    batchWindowMs: cfg.store.batchWindowMs,
  });
  const cleanup: (() => Promise<void> | void)[] = [() => store.close()];
  try {
    const fdLimit = openFileLimit();
    const { caps, lowered } = fitCaps({ sipTcp: cfg.sip.maxTcpConnections, msrp: cfg.msrp.maxConnections, admin: 64 }, fdLimit);
    if (lowered) {
      log.warn(
        { openFileLimit: fdLimit, 'sip.maxTcpConnections': caps.sipTcp, 'msrp.maxConnections': caps.msrp },
        'connection caps lowered to fit the open-file limit (raise LimitNOFILE / ulimit -n to keep the configured ones)',
      );
    }
    const required = authRequired(cfg);
    // Nonces signed with a key kept in the data dir stay valid across restarts (issue 15 item 4).
    const nonceKey = loadNonceSecret(cfg.dataDir);
    if (nonceKey.created) log.info({ file: nonceKey.file }, 'digest nonce key created');
    const digest = new DigestAuthenticator({
      realm: cfg.auth.realm || cfg.domain,
      nonceTtlS: cfg.auth.nonceTtlS,
      algorithms: cfg.auth.algorithms,
      secret: nonceKey.secret,
    });
    const auth = new AuthGate(required, digest, store.users, child(log, 'auth'), { md5UserAgents: cfg.auth.md5UserAgents.split(',') });
    const registrar = new Registrar(
      {
        domain: cfg.domain,
        localHosts: [cfg.bind, 'localhost', '127.0.0.1'].filter((h, i, a) => a.indexOf(h) === i),
        minExpires: cfg.registrar.minExpires,
        maxExpires: cfg.registrar.maxExpires,
        defaultExpires: cfg.registrar.defaultExpires,
        maxContactsPerUser: cfg.registrar.maxContactsPerUser,
        natTest: cfg.registrar.natTest,
      },
      {
        // the focus answers for these: nobody registers them (attack finding: a registrant
        // received the MESSAGEs meant for a group session)
        reserved: (u) => isReservedName(u) || store.groups.get(u) !== undefined,
        users: store.users,
        registrations: store.registrations,
        auth,
        transaction: (fn) => store.grouped(fn),
        log: child(log, 'registrar'),
      },
    );
    let draining = false;
    let stack: SipStack | undefined;
    const device = buildDevice(cfg, log);
    const router = new Router(
      { outboundProxy: cfg.sip.outboundProxy, userAgent: cfg.sip.userAgent },
      {
        stack: () => stack as SipStack,
        registrar,
        auth,
        log: child(log, 'router'),
        admission: {
          // New sessions and registrations wait while the box is under pressure; running ones go on.
          refuseNew: () => {
            if (draining) return { retryAfterS: 5, reason: 'shutting down' };
            const p = device.health.pressure();
            return p.underPressure ? { retryAfterS: cfg.health.retryAfterS, reason: p.reasons.join(', ') } : undefined;
          },
        },
      },
    );
    stack = await SipStack.start(
      {
        bind: cfg.bind,
        port: cfg.sip.port,
        udp: cfg.sip.udp,
        tcp: cfg.sip.tcp,
        maxBytesHeaders: cfg.sip.maxBytesHeaders,
        maxContentLength: cfg.sip.maxContentLength,
        maxTcpConnections: caps.sipTcp,
        maxTcpConnectionsPerSource: cfg.sip.maxTcpConnectionsPerSource > 0 ? cfg.sip.maxTcpConnectionsPerSource : Math.max(16, Math.floor(caps.sipTcp / 4)),
        tcpQuietMs: cfg.sip.tcpQuietMs,
        tcpMessageTimeoutMs: cfg.sip.tcpMessageTimeoutMs,
        maxTlsHandshakesPerSource: cfg.tls.maxHandshakesPerSource,
        tcpOutput: { maxBytes: cfg.sip.maxTcpOutputBytes, stallMs: cfg.sip.tcpOutputStallMs },
        t1Ms: cfg.sip.t1Ms,
        maxTransactions: cfg.sip.maxTransactions,
        ...(cfg.sip.maxTransactionsPerSource > 0 ? { maxTransactionsPerSource: cfg.sip.maxTransactionsPerSource } : {}),
        ...(cfg.sip.maxTransactionsPerTarget > 0 ? { maxTransactionsPerTarget: cfg.sip.maxTransactionsPerTarget } : {}),
        answeredLocally,
        overloadRetryAfterS: cfg.sessions.retryAfterS,
        ...(cfg.sip.udpReceiveBufferBytes > 0 ? { udpReceiveBufferBytes: cfg.sip.udpReceiveBufferBytes } : {}),
        rateLimit: {
          perSecond: cfg.sip.maxRequestsPerSecondPerSource,
          burst: cfg.sip.requestBurstPerSource,
          maxSources: cfg.sip.maxRateTrackedSources,
          exempt: splitList(cfg.sip.rateLimitExempt),
        },
        ...(tls !== undefined
          ? { tls: { port: cfg.sip.tlsPort, cert: tls.cert, key: tls.key, ca: tls.ca, verifyPeer: tls.verifyPeer, handshakeTimeoutMs: tls.handshakeTimeoutMs } }
          : {}),
        logger: child(log, 'sip'),
      },
      (req) => {
        if (draining && req.msg.method !== 'ACK' && req.msg.method !== 'BYE' && req.msg.method !== 'CANCEL') {
          req.reply(503, 'Service Unavailable (shutting down)', { headers: { 'retry-after': '5' } });
          return;
        }
        return storeFullIs503(req, () => router.handle(req), cfg.health.retryAfterS, log);
      },
    );
    const sip = stack;
    cleanup.unshift(() => sip.close());

    // The MSRP data plane: one listener, back-to-back legs with a fixed ring each.
    const msrp = new MsrpRelay(
      {
        maxConnections: caps.msrp,
        // one address holds at most a quarter of the slots (never fewer than 16) unless configured (an MSRP relay in front)
        maxConnectionsPerSource: cfg.msrp.maxConnectionsPerSource > 0 ? cfg.msrp.maxConnectionsPerSource : Math.max(16, Math.floor(caps.msrp / 4)),
        maxSessionsPerConnection: cfg.msrp.maxSessionsPerConnection,
        maxHeaderBytes: cfg.msrp.maxHeaderBytes,
        idleTimeoutMs: cfg.msrp.idleTimeoutMs,
        bindTimeoutMs: cfg.msrp.bindTimeoutMs,
        transactionTimeoutMs: cfg.msrp.transactionTimeoutMs,
        maxChunkSize: cfg.msrp.maxChunkSize,
        maxMessageSize: cfg.msrp.maxMessageSize,
        ringBytes: cfg.msrp.ringBytes,
        frameHoldMs: cfg.msrp.frameHoldMs,
        maxPairs: cfg.sessions.maxTotal,
      },
      { log: child(log, 'msrp'), ...(tls !== undefined ? { tlsClient: { ca: tls.ca, verifyPeer: tls.verifyPeer } } : {}) },
    );
    const msrpAddr = await msrp.listen(cfg.bind, cfg.msrp.port);
    cleanup.unshift(() => msrp.close());
    // MSRP over TLS: msrps: legs (TCP/TLS/MSRP offers) on their own port, same limits as TCP
    const msrpsAddr = tls !== undefined ? await msrp.net.listenTls(cfg.bind, cfg.msrp.tlsPort, { cert: tls.cert, key: tls.key, handshakeTimeoutMs: tls.handshakeTimeoutMs, maxHandshakesPerSource: cfg.tls.maxHandshakesPerSource }) : undefined;

    const participating = new ParticipatingFunction(
      {
        sipHost: sip.host,
        sipPort: sip.port,
        ...(sip.tlsPort !== undefined ? { sipTlsPort: sip.tlsPort } : {}),
        msrp: { address: cfg.bind, port: msrpAddr.port, ...(msrpsAddr !== undefined ? { tlsPort: msrpsAddr.port } : {}) },
        maxSessions: cfg.sessions.maxTotal,
        // 1-1 sessions per user: sessions.maxPerUser (groups.maxPerUser bounds group sessions only)
        maxSessionsPerUser: cfg.sessions.maxPerUser,
        maxPendingPerSource: cfg.sessions.maxPendingPerSource,
        retryAfterS: cfg.sessions.retryAfterS,
        msrpConnectTimeoutMs: cfg.msrp.transactionTimeoutMs,
        msrpDialTimeoutMs: cfg.msrp.connectTimeoutMs,
        largeMessageMaxMs: cfg.msrp.transactionTimeoutMs * 4,
        setupTimeoutMs: cfg.sessions.setupTimeoutMs,
        sipTimers: { t1Ms: cfg.sip.t1Ms, t2Ms: cfg.sip.t2Ms },
      },
      {
        stack: () => sip,
        registrar,
        auth,
        relay: msrp,
        sessions: store.sessions,
        // the session row shares its commit (and fsync) with the other writes of the batch window
        grouped: (fn, opts) => store.grouped(fn, opts),
        log: child(log, 'participating'),
      },
    );
    // Pre-defined group documents: one primary-key read per INVITE to a local user (most are
    // users, not groups), a document parsed again only when its update time changed, so
    // `imedge group import` on a running box is seen at the next INVITE.
    const groupCache = new Map<string, { at: number; doc: GroupDocument }>();
    const groupDoc = (id: string): GroupDocument | undefined => {
      try {
        const rec = store.groups.get(id);
        if (rec === undefined) {
          groupCache.delete(id);
          return undefined;
        }
        const cached = groupCache.get(id);
        if (cached !== undefined && cached.at === rec.updatedAt) return cached.doc;
        const doc = parseGroupDocument(rec.document);
        if (groupCache.size >= 4096) groupCache.clear();
        groupCache.set(id, { at: rec.updatedAt, doc });
        return doc;
      } catch (err) {
        log.warn({ err, group: id }, 'stored group document unreadable: group not served');
        return undefined;
      }
    };
    const controlling = new ControllingFunction(
      {
        domain: cfg.domain,
        sipHost: sip.host,
        sipPort: sip.port,
        msrp: { address: cfg.bind, port: msrpAddr.port },
        maxAdhocGroupSize: cfg.groups.maxAdhocSize,
        maxSessions: cfg.groups.maxSessions,
        maxParticipants: cfg.groups.maxParticipants,
        maxSessionsPerUser: cfg.groups.maxPerUser,
        release: { autoRelease: cfg.groups.autoRelease, sessionMaxLengthS: cfg.groups.sessionMaxLengthS, remainingParticipants: cfg.groups.remainingParticipants === 0 ? 0 : 1 },
        adhocAllowAnonymity: cfg.groups.adhocAllowAnonymity,
        inviteTimeoutMs: cfg.groups.inviteTimeoutMs,
        rejoinWindowMs: cfg.groups.rejoinWindowMs,
        msrpConnectTimeoutMs: cfg.msrp.connectTimeoutMs,
        // a congested leg pauses the other participants, their answers too: stay well inside their transaction timeout
        slowReceiverMs: Math.max(1, Math.min(cfg.groups.slowReceiverMs, Math.floor(cfg.msrp.transactionTimeoutMs / 2))),
        maxMessageSize: cfg.msrp.maxMessageSize,
        retryAfterS: cfg.sessions.retryAfterS,
        sipTimers: { t1Ms: cfg.sip.t1Ms, t2Ms: cfg.sip.t2Ms },
      },
      {
        stack: () => sip,
        registrar,
        auth,
        net: msrp.net,
        group: groupDoc,
        findReplaced: (target, user) => participating.findReplaced(target, user),
        groupSessions: store.groupSessions,
        grouped: (fn) => store.grouped(fn),
        // OMA IM 7.2.1.5 steps 9-10, 7.2.1.9, 7.2.1.10: subscribers learn every join, leave,
        // removal and release (7.2.2.10) and leavers lose their subscription (7.2.2.11)
        onEvent: (e) => {
          if (e.type === 'joined') events.changed(e.conference);
          else if (e.type === 'left' || e.type === 'removed') {
            // 7.2.2.11 first: a leaver no longer allowed to watch gets one last NOTIFY, not two
            events.participantLeft(e.conference, e.uri);
            events.changed(e.conference);
          } else if (e.type === 'released') events.released(e.conference);
          else if (e.type === 'rules-changed') events.revalidate(e.conference);
        },
        log: child(log, 'controlling'),
      },
    );
    const events: ConferenceEventPackage = new ConferenceEventPackage(
      {
        domain: cfg.domain,
        minExpiresS: cfg.events.minExpiresS,
        maxExpiresS: cfg.events.maxExpiresS,
        defaultExpiresS: cfg.events.defaultExpiresS,
        maxSubscriptions: cfg.events.maxSubscriptions,
        maxPerUser: cfg.events.maxPerUser,
        retryAfterS: cfg.sessions.retryAfterS,
      },
      {
        stack: () => sip,
        originator: (req) => {
          const claimed = registrar.claimedUser(req.msg);
          const user = auth.check(req, claimed, 'proxy');
          return user === undefined ? undefined : (user ?? claimed ?? null);
        },
        conference: (id) => controlling.stateOf(id),
        store: store.groupSessions,
        grouped: (fn) => store.grouped(fn),
        log: child(log, 'events'),
      },
    );
    router.register('SUBSCRIBE', events.subscribe);
    // imedge subscribes to nothing: a NOTIFY can belong to no subscription of ours (RFC 6665 4.1.3)
    router.register('NOTIFY', (req) => req.reply(481, 'Subscription Does Not Exist'));
    const im = imDispatch(controlling, participating);
    router.register('INVITE', im.invite);
    router.register('ACK', im.ack);
    router.register('BYE', im.bye);
    router.register('CANCEL', im.cancel);
    participating.recover();
    controlling.recover();
    events.recover();
    // Before the relay closes: every live session gets its BYE.
    cleanup.unshift(() => participating.releaseAll('shutting down'));
    cleanup.unshift(() => controlling.releaseAll('shutting down'));
    cleanup.unshift(() => events.closeAll());

    const sweep = setInterval(() => {
      try {
        registrar.sweep();
      } catch (err) {
        log.error({ err }, 'registration sweep failed');
      }
    }, cfg.registrar.sweepIntervalMs);
    sweep.unref();
    cleanup.unshift(() => clearInterval(sweep));

    // The SQLite probe writes and fsyncs: at most once per store.probeIntervalMs whoever asks
    // (/healthz, the systemd and MCU heartbeats every 5-10 s). Each probe is a synced commit
    // (~8 KiB to the card): boards on SD cards probe once a minute (bench --only=wear).
    let probe = { at: 0, ok: true };
    device.health.checks.register('sqlite-writable', () => {
      const now = Date.now();
      if (now - probe.at >= cfg.store.probeIntervalMs) probe = { at: now, ok: store.probeWritable() };
      return { ok: probe.ok, detail: probe.ok ? 'write probe ok' : `cannot write ${store.path}` };
    });
    const sipListening = `UDP+TCP ${sip.port}${sip.tlsPort !== undefined ? `, TLS ${sip.tlsPort}` : ''}`;
    device.health.checks.register('sip-listeners', () => ({ ok: !draining, detail: draining ? 'stopping' : sipListening }));
    device.health.checks.register('group-sessions', () => {
      const c = controlling.counts();
      return { ok: true, detail: `${c.sessions} of ${cfg.groups.maxSessions} group sessions, ${c.participants} participants, ${c.invited} invitations ringing` };
    });
    const msrpListening = `TCP ${msrpAddr.port}${msrpsAddr !== undefined ? `, TLS ${msrpsAddr.port}` : ''}`;
    device.health.checks.register('msrp-listener', () => ({ ok: !draining, detail: draining ? 'stopping' : msrpListening }));
    const health = (): HealthReport => device.health.evaluate();
    const ports = {
      sip: sip.port, udp: sip.transports.udp, tcp: sip.transports.tcp, msrp: msrpAddr.port as number | null, http: 0,
      sips: sip.tlsPort ?? null, msrps: msrpsAddr?.port ?? null,
    };
    // DESIGN fixed point: "tls" under "sip" and "msrps" appear only when TLS is on
    const listeners = () => ({
      bind: cfg.bind,
      sip: { udp: ports.udp ? ports.sip : null, tcp: ports.tcp ? ports.sip : null, ...(ports.sips !== null ? { tls: ports.sips } : {}) },
      msrp: ports.msrp,
      ...(ports.msrps !== null ? { msrps: ports.msrps } : {}),
      http: ports.http,
    });
    await device.start();
    cleanup.unshift(() => device.stop());
    // OMA IM 7.2.2.8: a deleted group ends its session (1f), a changed one may remove members (2a)
    const groups = new GroupService(store.groups, cfg.domain, {
      onDeleted: (id) => {
        groupCache.delete(id);
        controlling.groupDeleted(id);
      },
      onChanged: (id, doc) => {
        groupCache.delete(id);
        controlling.groupChanged(id, doc);
      },
    }, Date.now, cfg.groups.maxStoredGroups, (limit) => log.warn({ limit }, 'group limit reached (groups.maxStoredGroups): a new group was refused'));
    let adminStats = () => ({ live: 0, evicted: 0, refused: 0, perSourceRefused: 0, clientAborts: 0 });
    let adminPage: () => { statusStreams: number; events: Record<AdminPageEvent, number> } = () => ({ statusStreams: 0, events: Object.fromEntries(ADMIN_PAGE_EVENTS.map((e) => [e, 0])) as Record<AdminPageEvent, number> });
    // built at the first scrape (prom-client and its collectors are not loaded before)
    const metricsHandler = lazyMetricsHandler({
      sip: () => sip.stats,
      sipTransactions: () => sip.transactionCounts(),
      sipInFlight: () => sip.inFlight(),
      sipTcp: () => sip.tcpConnections(),
      sipRateLimited: () => sip.rateLimited(),
      groupCommit: () => store.groupCommitStats,
      participating: () => participating.stats,
      registrations: () => store.registrations.count(),
      contactsReplaced: () => registrar.contactsReplaced(),
      sample: () => device.health.latest(),
      underPressure: () => device.health.pressure().underPressure,
      checks: () => device.health.evaluate().checks,
      watchdog: device.watchdog ? () => device.watchdog!.stats() : undefined,
      msrp: () => {
        const st = msrp.counters;
        const out: Record<string, number> = {};
        for (const [k, v] of Object.entries(st)) if (typeof v === 'number') out[k] = v;
        return out;
      },
      sessions: () => participating.counts(),
      groups: () => ({ stored: store.groups.count(), storedRefused: groups.refusedAtLimit, ...controlling.counts(), ...controlling.stats, subscriptionsLive: events.size, ...Object.fromEntries(Object.entries(events.stats).map(([k, v]) => [`events_${k}`, v])) }),
      groupSwitch: () => controlling.switchTotals(),
      // the admin server starts after the metrics it serves: read its slots through a late binding
      admin: () => adminStats(),
      adminPage: () => adminPage(),
      unhandledRejections: () => unhandledRejections.count,
      ...(tls !== undefined
        ? {
            tls: () => {
              const s = sip.stats.tls;
              const m = msrp.net.counters;
              return {
                sip: { handshakes: s.accepted, refused: { handshake: s.handshakeFailures, 'peer-certificate': s.peerRejected, 'clear-text': 0 } },
                msrp: { handshakes: m.tlsAccepted, refused: { handshake: m.tlsHandshakeFailures, 'peer-certificate': m.tlsPeerRejected, 'clear-text': m.tlsRequired } },
              };
            },
          }
        : {}),
    });
    // DESIGN fixed point: off loopback the admin port takes a bearer token (the path is logged, never the token)
    const adminAuth = isLoopback(cfg.bind) ? undefined : loadAdminToken(cfg.http.token, cfg.dataDir);
    if (adminAuth !== undefined) log.info({ tokenFile: adminAuth.file ?? '(config http.token)' }, 'admin HTTP requires a bearer token');
    const pageAuth = new AdminAuth({ ...(adminAuth !== undefined ? { token: adminAuth.token } : {}), loginTtlMs: cfg.http.loginTtlS * 1000, maxLogins: cfg.http.maxLogins });
    let assets: Map<string, Asset> | undefined;
    try {
      assets = loadAssets(defaultUiDir());
    } catch (err) {
      log.warn({ err }, 'admin page files not found: the admin port serves the API only');
    }
    const version = packageVersion();
    const status = new StatusStream(
      () => statusSnapshot(),
      { periodMs: cfg.http.statusPushMs, maxClients: cfg.http.maxStatusClients },
      child(log, 'admin'),
    );
    cleanup.unshift(() => status.close());
    // every figure here is cached or counted: no systeminformation call per request
    const statusSnapshot = (): StatusSnapshot => {
      const h = health();
      const p = device.health.pressure();
      const sm = device.health.latest();
      const g = controlling.counts();
      const w = device.watchdog?.stats();
      return {
        version,
        board: cfg.board,
        domain: cfg.domain,
        startedAt: new Date(startedAt).toISOString(),
        uptimeS: Math.round((Date.now() - startedAt) / 1000),
        health: { ok: h.ok, checks: h.checks },
        pressure: { underPressure: p.underPressure, reasons: [...p.reasons], details: [...p.details] },
        sample:
          sm === null
            ? null
            : {
                at: new Date(sm.at).toISOString(),
                tempC: sm.tempC,
                memAvailableBytes: sm.memAvailableBytes,
                memTotalBytes: os.totalmem(),
                rssBytes: sm.rssBytes,
                diskFreeBytes: sm.diskFreeBytes,
                load1: sm.load1,
                cpuCount: sm.cpuCount,
                eventLoopLagMs: Math.round(sm.eventLoopLagMs),
              },
        listeners: listeners(),
        watchdog:
          w === undefined
            ? { enabled: false }
            : { enabled: true, armed: w.armed, linkOpen: w.linkOpen, heartbeatsSent: w.heartbeatsSent, heartbeatsWithheld: w.heartbeatsWithheld, answersMissed: w.answersMissed },
        counts: { registrations: store.registrations.count(), sessions: participating.counts(), groupSessions: g.sessions, participants: g.participants },
        statusStreams: { open: status.stats.open, refused: status.stats.refused },
      };
    };
    const people = {
      bindings: () => store.registrations.all(),
      oneToOne: () => participating.list(),
      groupSessions: () => controlling.list(),
      endOneToOne: (id: string) => participating.end(id),
      endGroupSession: (id: string) => controlling.end(id),
      removeParticipant: (id: string, pid: string) => controlling.removeParticipant(id, pid),
    };
    const realm = cfg.auth.realm || cfg.domain;
    const users = {
      list: () => store.users.list().map((u) => ({ user: u.user, realm: u.realm })),
      add: (name: string, password: string) => addUser(store, name, realm, password),
      delete: (name: string) => deleteUser(store, name),
    };
    const admin = await AdminServer.start(cfg.bind, cfg.http.port, {
      auth: pageAuth,
      ...(assets !== undefined ? { assets } : {}),
      version,
      startedAt,
      health,
      listeners,
      routes: new Map([
        ['/metrics', { methods: ['GET', 'HEAD'], handler: metricsHandler }],
        ['/groups', { methods: ['GET', 'HEAD', 'POST'], handler: groupListHandler(groups) }],
        ['/groups/*', { methods: ['GET', 'HEAD', 'PUT', 'DELETE'], handler: groupHandler(groups) }],
        ['/groups/*/form', { methods: ['GET', 'HEAD', 'PUT'], handler: groupFormHandler(groups, cfg.domain) }],
        ['/status', { methods: ['GET', 'HEAD'], handler: status.once }],
        ['/status/events', { methods: ['GET'], handler: status.events }],
        ['/registrations', { methods: ['GET', 'HEAD'], handler: registrationsHandler(people) }],
        ['/sessions', { methods: ['GET', 'HEAD'], handler: sessionsHandler(people) }],
        ['/sessions/*', { methods: ['DELETE'], handler: sessionHandler(people) }],
        ['/sessions/*/participants/*', { methods: ['DELETE'], handler: participantHandler(people) }],
        ['/users', { methods: ['GET', 'HEAD'], handler: usersHandler(users) }],
        ['/users/*', { methods: ['PUT', 'DELETE'], handler: userHandler(users) }],
      ]),
      log: child(log, 'admin'),
      limits: {
        maxConnections: caps.admin,
        ...(cfg.http.maxConnectionsPerAddress > 0 ? { maxConnectionsPerAddress: cfg.http.maxConnectionsPerAddress } : {}),
        headersTimeoutMs: cfg.http.headersTimeoutMs,
        requestTimeoutMs: cfg.http.requestTimeoutMs,
      },
    });
    ports.http = admin.port;
    adminStats = () => admin.connectionStats;
    adminPage = () => {
      const a = pageAuth.stats;
      const st = status.stats;
      return {
        statusStreams: st.open,
        events: {
          status_stream_refused: st.refused,
          status_stream_slow_closed: st.slowClosed,
          login: a.logins,
          login_refused: a.loginsRefused,
          login_throttled: a.loginsThrottled,
          login_evicted: a.loginsEvicted,
          csrf_refused: a.csrfRefused,
          host_refused: a.hostRefused,
          bearer_refused: a.bearerRefused,
          bearer_throttled: a.bearerThrottled,
        },
      };
    };
    cleanup.unshift(() => admin.close());

    log.info({ ...listeners(), domain: cfg.domain, board: cfg.board, auth: required ? 'digest' : 'open (loopback)', dataDir: cfg.dataDir, watchdog: device.watchdog ? cfg.watchdog.device : 'off' }, 'listening');
    device.ready();

    let stopping: Promise<void> | undefined;
    return {
      config: cfg,
      ports,
      store,
      sip,
      router,
      registrar,
      device,
      msrp,
      participating,
      controlling,
      groups,
      health,
      traffic: () => {
        let n = msrp.net.counters.framesIn;
        for (const k in sip.stats.requestsIn) n += sip.stats.requestsIn[k] ?? 0;
        return n;
      },
      stop: () => {
        stopping ??= (async () => {
          draining = true;
          // A planned stop disarms the hardware watchdog before anything else goes down.
          await device.stop();
          participating.releaseAll('shutting down');
          controlling.releaseAll('shutting down');
          const until = Date.now() + DRAIN_LIMIT_MS;
          while (Date.now() < until) {
            const t = sip.inFlight();
            if (t.incoming === 0 && t.outgoing === 0) break;
            await new Promise((r) => setTimeout(r, 50));
          }
          for (const step of cleanup) await step();
          log.info('stopped');
        })();
        return stopping;
      },
    };
  } catch (err) {
    for (const step of cleanup) await step();
    throw err;
  }
}

/** A comma-separated config list (blanks ignored). */
function splitList(s: string): string[] {
  return s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
}

/**
 * Issue 11 item 6(b) finding: a write on a full data directory (between two health samples, before
 * the disk-free pressure refuses new work) failed the handler and the request got 500. The write
 * did not happen and may succeed later: 503 + Retry-After, as under pressure. Other errors go on
 * to the stack (500, counted).
 */
function storeFullIs503(req: IncomingRequest, handle: () => void | Promise<void>, retryAfterS: number, log: Logger): void | Promise<void> {
  const full = (err: unknown): void => {
    if (!isStoreFull(err)) throw err;
    log.warn({ method: req.msg.method }, 'data directory full: a write failed, the request got 503');
    if (!req.replied) req.reply(503, 'Service Unavailable (data store full)', { headers: { 'retry-after': String(retryAfterS) } });
  };
  let result: void | Promise<void>;
  try {
    result = handle();
  } catch (err) {
    return full(err);
  }
  return result instanceof Promise ? result.catch(full) : result;
}
