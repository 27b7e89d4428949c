/**
 * The one configuration schema of imedge: every key with its type, bounds,
 * default and one line of documentation. Board profiles, the config file, the
 * environment and the flags are all validated by it; the README table is
 * generated from it (see reference.ts).
 */
import * as v from 'valibot';
import { bool, int, listOf, num, oneOf, section, str } from './leaves';
import { isIpAddress } from './net';
import { parseKickByte } from './kick-byte';

export { parseKickByte };

const KIB = 1024;
const MIB = 1024 * KIB;

/** Board names become file names under board/: keep them to a safe alphabet. */
export const BOARD_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const noControl = (s: string): boolean => !/[\u0000-\u001f\u007f]/.test(s);

export const configSchema = v.strictObject({
  board: str('bench-x86', 'board profile board/<name>.yaml applied between the embedded defaults and the config file', {
    maxLength: 64,
    allowed: 'a board name: lower-case letters, digits, ".", "_", "-"',
    ok: (s) => BOARD_NAME.test(s),
  }),
  domain: str('localhost', 'SIP domain served (AoRs are sip:user@domain)', {
    maxLength: 253,
    allowed: 'a host name or IP address',
    ok: (s) => /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(s) || isIpAddress(s),
  }),
  bind: str('127.0.0.1', 'address every listener binds to', {
    maxLength: 64,
    allowed: 'an IPv4 or IPv6 address',
    ok: isIpAddress,
  }),
  dataDir: str('./data', 'directory of imedge.db (relative paths are taken from the working directory)', {
    maxLength: 4096,
    allowed: 'a non-empty directory path',
    ok: (s) => s.length > 0 && noControl(s),
  }),
  log: section('logging', {
    level: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace'], 'info', 'lowest level written to stdout'),
  }),
  sip: section('SIP listeners and limits', {
    port: int(5060, 0, 65535, 'SIP port for UDP and TCP (0 = pick a free one)'),
    tlsPort: int(5061, 0, 65535, 'SIP over TLS port (sips:, transport=tls), listened on when tls.cert and tls.key are set (0 = pick a free one)'),
    udp: bool(true, 'listen on UDP'),
    tcp: bool(true, 'listen on TCP'),
    maxBytesHeaders: int(16 * KIB, KIB, MIB, 'largest header section accepted on UDP and TCP, in bytes; beyond it 513 Message Too Large'),
    maxContentLength: int(64 * KIB, 0, 16 * MIB, 'largest SIP body accepted, in bytes (a TCP peer may hold this much per connection until its body completes; big content goes by MSRP)'),
    maxTcpConnections: int(1024, 1, 100_000, 'open SIP TCP connections, accepted and dialed together; at the cap a new one replaces a quiet inbound connection (see tcpQuietMs; counted), else it is closed at once (counted, logged once per burst)'),
    maxTcpConnectionsPerSource: int(0, 0, 100_000, 'inbound SIP TCP/TLS connections one remote address may hold (0 = a quarter of maxTcpConnections, at least 16; raise it behind a proxy or SBC); beyond it a new one is closed at once (counted)'),
    tcpQuietMs: int(60_000, 100, 3_600_000, 'an inbound SIP TCP connection with no transaction under way that carried no SIP message for this long (or never one; CRLF keep-alives do not count) may be closed at sip.maxTcpConnections to make room, the never-used ones first, in ms'),
    tcpMessageTimeoutMs: int(30_000, 100, 600_000, 'slowloris bound: an inbound SIP TCP/TLS connection must complete its first SIP message within this after it opened (TLS: after the handshake), and every message within this after its first byte; else it is closed (counted), in ms. A registered client may then stay quiet: quiet connections are bounded by maxTcpConnections and tcpQuietMs'),
    maxTcpOutputBytes: int(256 * KIB, 4 * KIB, 64 * MIB, 'answers queued for one SIP TCP/TLS peer that does not read them, in bytes; above it that connection is no longer read until they have gone out; still above it after tcpOutputStallMs, or above 4 times it, the connection is closed (counted: imedge_sip_tcp_slow_closed_total{reason="output"})'),
    tcpOutputStallMs: int(30_000, 100, 600_000, 'a SIP TCP/TLS connection no longer read because its peer left sip.maxTcpOutputBytes unread is closed when that lasts this long, in ms'),
    maxTransactions: int(4096, 16, 1_000_000, 'live server transactions (no final answer yet); beyond it new requests get 503; one source gets a quarter'),
    maxTransactionsPerSource: int(0, 0, 1_000_000, 'live server transactions one source address may hold (0 = a quarter of maxTransactions; raise it behind a proxy or SBC)'),
    maxTransactionsPerTarget: int(0, 0, 1_000_000, 'requests imedge sends (forwarded or its own) toward one address and port (a registered contact, the outbound proxy) that may wait for their final answer at once (0 = an eighth of maxTransactions; raise it for an outbound proxy that carries much traffic); one more is not sent but answered at once with 480 + Retry-After (counted: imedge_sip_overload_per_target_total), so a contact that never answers cannot hold the transaction table for 32 s. REGISTER, CANCEL and OPTIONS to the server also have a reserve of an eighth of maxTransactions beyond it (imedge_sip_local_reserve_total)'),
    udpReceiveBufferBytes: int(0, 0, 64 * 1024 * 1024, 'receive buffer of the SIP UDP socket (SO_RCVBUF; 0 = the kernel default, about 208 KiB): a burst of UDP requests beyond it, e.g. every phone re-registering after a power cut, is lost in the kernel until phones retransmit. Linux caps it at net.core.rmem_max; a start-up warning says when it was capped'),
    maxRequestsPerSecondPerSource: int(500, 0, 1_000_000, 'SIP requests per second one source address may send, on average (token bucket; 0 = no limit); over it TCP/TLS requests get 503 + Retry-After, a UDP source gets one 503 per second and the rest is dropped; ACKs, responses and UDP keep-alives spend the same tokens and are dropped unanswered over it; on TCP/TLS every framed request counts, pipelined copies included (counted: imedge_sip_rate_limited_total; logged once per source per second)'),
    requestBurstPerSource: int(5000, 1, 10_000_000, 'SIP requests a quiet source may send at once before sip.maxRequestsPerSecondPerSource applies (the token bucket size)'),
    maxRateTrackedSources: int(4096, 16, 1_000_000, 'source addresses the SIP request rate limiter tracks at once; beyond, the least recently seen is forgotten (counted), and a source first seen while the map is full starts with no burst: it earns requests at maxRequestsPerSecondPerSource (counted: imedge_sip_rate_sources_started_empty_total)'),
    rateLimitExempt: str('', 'comma-separated IP addresses never rate limited (a proxy or SBC in front of imedge; loopback is limited unless named here)', {
      maxLength: 4096,
      allowed: 'empty, or IP addresses separated by commas',
      ok: (s) => s.split(',').every((x) => x.trim() === '' || isIpAddress(x.trim())),
    }),
    t1Ms: int(500, 10, 10_000, 'RFC 3261 T1 (round-trip estimate): 2xx resends start here, no ACK in 64*T1 ends the dialog, an INVITE imedge cancelled is given up (408) 64*T1 after its CANCEL, in ms'),
    t2Ms: int(4000, 10, 60_000, 'RFC 3261 T2: the longest resend interval of a 2xx, in ms'),
    outboundProxy: str('', 'upstream proxy SIP URI (empty = route locally)', {
      maxLength: 512,
      allowed: 'empty, or a sip: / sips: URI',
      ok: (s) => s === '' || (/^sips?:\S+$/i.test(s) && noControl(s)),
    }),
    userAgent: str('imedge', 'software name sent in the Server header of the responses imedge makes itself (RFC 3261 20.35)', {
      maxLength: 128,
      allowed: 'printable text, 1 to 128 characters',
      ok: (s) => s.length > 0 && noControl(s),
    }),
  }),
  msrp: section('MSRP listener, relay rings and limits', {
    port: int(2855, 0, 65535, 'MSRP TCP port (0 = pick a free one)'),
    tlsPort: int(2856, 0, 65535, 'MSRP over TLS port (msrps:, TCP/TLS/MSRP), listened on when tls.cert and tls.key are set (0 = pick a free one)'),
    maxChunkSize: int(2048, 64, MIB, 'largest chunk body sent, in bytes'),
    maxMessageSize: int(16 * MIB, KIB, 1024 * MIB, 'largest message accepted, in bytes: the endpoints and the conference focus advertise it (a=max-size), and the relay and the group switch refuse a larger one with 413 (at the chunk whose Byte-Range shows it, or cut with # where its bytes pass it)'),
    maxHeaderBytes: int(8 * KIB, 256, 64 * KIB, 'largest header section of one MSRP request, in bytes'),
    ringBytes: int(64 * KIB, 4 * KIB, 16 * MIB, 'ring buffer per outbound leg, in bytes (memory = legs x ringBytes)'),
    maxConnections: int(1024, 1, 100_000, 'open MSRP TCP connections; at the cap a new one replaces the oldest inbound connection that carries no session (counted), else it is refused'),
    maxSessionsPerConnection: int(64, 1, 10_000, 'MSRP sessions sharing one connection'),
    maxConnectionsPerSource: int(0, 0, 100_000, 'inbound MSRP connections one remote address may hold (0 = a quarter of maxConnections, at least 16; raise it behind an MSRP relay); beyond it a new one is closed at once (counted)'),
    idleTimeoutMs: int(120_000, 100, 86_400_000, 'close a connection idle this long, in ms'),
    bindTimeoutMs: int(15_000, 100, 600_000, 'close a connection that binds no session this long after it opened, in ms'),
    transactionTimeoutMs: int(30_000, 100, 600_000, 'wait this long for a transaction response, in ms'),
    frameHoldMs: int(5000, 10, 300_000, 'longest one MSRP frame may stream on a connection while frames of other sessions wait behind it (RFC 4975 5.4), the connection is not congested and the frame brings less than msrp.ringBytes meanwhile; then its sender gets 413 and the frame is ended with # (taken down to half of msrp.transactionTimeoutMs; a frame that brings more is cut the same way once the frames behind it waited half of msrp.transactionTimeoutMs), in ms'),
    connectTimeoutMs: int(10_000, 100, 600_000, 'an MSRP connection imedge opens (a peer that answered a=setup:passive or no a=setup) must connect and have its binding SEND answered within this long, in ms'),
  }),
  tls: section('TLS for SIP (sips:) and MSRP (msrps:): on when cert and key are both set', {
    cert: str('', 'PEM certificate (chain) file of this box, e.g. a device certificate named by the board profile (empty = no TLS listeners)', {
      maxLength: 4096,
      allowed: 'empty, or a file path',
      ok: noControl,
    }),
    key: str('', 'PEM private key file of tls.cert (unencrypted; keep it mode 0600)', {
      maxLength: 4096,
      allowed: 'empty, or a file path',
      ok: noControl,
    }),
    ca: str('', 'PEM file of the CAs trusted when imedge dials a TLS peer (SIP or MSRP), added to the system CAs (empty = system CAs only)', {
      maxLength: 4096,
      allowed: 'empty, or a file path',
      ok: noControl,
    }),
    verifyPeer: bool(true, 'a peer imedge dials over TLS must present a certificate that verifies (system CAs or tls.ca) and names the address dialled; false = encrypt without authenticating (self-signed LAN peers)'),
    handshakeTimeoutMs: int(10_000, 100, 600_000, 'an accepted TLS connection must finish its handshake within this long, in ms (then it is closed and counted)'),
    maxHandshakesPerSource: int(4, 1, 10_000, 'TLS handshakes under way one remote address may hold on the SIP TLS port and on the MSRP TLS port (each); beyond, a new connection from it is closed at once (counted). At the connection caps a connection still in its handshake is closed first to make room, oldest first'),
  }),
  http: section('admin HTTP listener', {
    port: int(8080, 0, 65535, 'admin HTTP port for the admin page (/), /healthz, /metrics, /groups (0 = pick a free one)'),
    headersTimeoutMs: int(5000, 100, 600_000, 'slowloris bound: a request head on the admin port must be complete within this after the connection opened or the previous request ended, else 408 and close, in ms'),
    requestTimeoutMs: int(10_000, 100, 600_000, 'a whole admin request (head and body) must be complete within this, in ms (at least headersTimeoutMs)'),
    maxConnectionsPerAddress: int(0, 0, 1024, 'admin HTTP connections one source address may hold at once; one more is closed at once (counted); 0 = a quarter of the 64 admin connections, at least 8'),
    token: str('', 'bearer token the admin port requires when bound off loopback (empty = generated once into <dataDir>/admin-token, mode 0600)', {
      maxLength: 256,
      allowed: 'empty, or 16 to 256 characters of A-Z a-z 0-9 - . _ ~ + /',
      ok: (s) => s === '' || /^[A-Za-z0-9\-._~+/]{16,256}=*$/.test(s),
    }),
    statusPushMs: int(2000, 100, 60_000, 'how often the admin page\'s status stream (/status/events, Server-Sent Events) pushes the cached health snapshot, in ms'),
    maxStatusClients: int(4, 1, 16, 'admin page status streams open at once (each holds one of the 64 admin connections); one more is refused with 503 (counted)'),
    loginTtlS: int(8 * 3600, 60, 30 * 86_400, 'lifetime of an admin page login (the cookie set after the token was given), in s'),
    maxLogins: int(16, 1, 1024, 'admin page logins held at once; a new one replaces the oldest'),
  }),
  auth: section('digest authentication (RFC 8760)', {
    mode: oneOf(['auto', 'required', 'off'], 'auto', 'auto = required unless bind is loopback; off is refused when bind is not loopback'),
    realm: str('', 'digest realm (empty = the domain)', {
      maxLength: 128,
      allowed: 'text without quotes, backslashes or control characters',
      ok: (s) => noControl(s) && !/["\\]/.test(s),
    }),
    nonceTtlS: int(300, 10, 86_400, 'lifetime of a nonce, in s'),
    algorithms: listOf(['SHA-256', 'MD5'], ['SHA-256', 'MD5'], 'digest algorithms offered, in order of preference'),
    md5UserAgents: str('baresip,sipsak', 'User-Agent prefixes (comma-separated, any case) offered an MD5 challenge alone while MD5 is in auth.algorithms: clients that fail on any SHA-256 challenge (see Troubleshooting)', {
      maxLength: 512,
      allowed: 'empty, or comma-separated User-Agent prefixes without quotes or control characters',
      ok: (s) => noControl(s) && !/["\\]/.test(s),
    }),
  }),
  registrar: section('registrar and location store', {
    minExpires: int(60, 1, 86_400, 'shortest registration accepted, in s (shorter gets 423)'),
    maxExpires: int(7200, 1, 604_800, 'longest registration granted, in s'),
    defaultExpires: int(3600, 1, 604_800, 'registration time when the client asks none, in s'),
    maxContactsPerUser: int(10, 1, 100, 'contacts bound to one AoR; a REGISTER for one more replaces the binding that expires soonest (counted: imedge_registrar_contacts_replaced_total); one REGISTER listing more than this gets 403'),
    natTest: oneOf(['off', 'contact-private', 'address', 'address-port', 'always'], 'contact-private', 'when requests go to the address a REGISTER came from instead of its Contact: contact-private = the Contact is a private address other than the source; address = any other address; address-port = another address or port; RFC 5626 outbound clients always get their flow'),
    sweepIntervalMs: int(5000, 10, 3_600_000, 'how often expired bindings are removed, in ms'),
  }),
  sessions: section('IM session admission', {
    maxTotal: int(200, 1, 100_000, 'IM sessions at once (beyond: 503 + Retry-After)'),
    maxPerUser: int(10, 1, 10_000, 'IM sessions per user at once'),
    maxPendingPerSource: int(32, 1, 100_000, 'sessions still being set up (INVITE not yet answered) from one source address at once; beyond: 503 + Retry-After, so unanswered INVITEs under made-up names cannot fill sessions.maxTotal'),
    retryAfterS: int(30, 1, 3600, 'Retry-After sent with 503 when a limit is hit, in s'),
    setupTimeoutMs: int(120_000, 100, 3_600_000, 'a session not established this long after the INVITE is released (caller 408, callee CANCEL/BYE), and a relayed re-INVITE unanswered this long is CANCELed (client 408), in ms'),
  }),
  groups: section('group sessions: the controlling IM function (OMA IM 7.2)', {
    maxAdhocSize: int(10, 1, 1000, 'MAX-ADHOC-GROUP-SIZE (OMA IM 7.1.1.6 step 5): invited users one ad-hoc list may name; beyond: 403 with a Warning'),
    maxSessions: int(20, 1, 10_000, 'group sessions at once (beyond: 503 + Retry-After)'),
    maxStoredGroups: int(1000, 1, 1_000_000, 'pre-defined group documents stored; creating one more (PUT /groups/<id>: 507, imedge group import: exit 1) is refused with the limit named and counted; updates of stored ones go through'),
    maxPerUser: int(4, 1, 10_000, 'group sessions one user may have started and still running (beyond: 486), so one user cannot take them all'),
    maxParticipants: int(50, 2, 10_000, 'participants of one group session (the MSRP switch cap; beyond: 486 "Too many participants")'),
    autoRelease: bool(false, 'OMA IM 7.2.2.8 auto-release: a pre-defined group session ends when its initiator leaves (a group document may override it)'),
    sessionMaxLengthS: int(0, 0, 2_147_483, 'OMA IM 7.2.2.8 session max length, in s (0 = no limit; a group document may override it)'),
    remainingParticipants: int(1, 0, 1, 'OMA IM 7.2.2.8 number-of-remaining-participants: a group session with this many participants or fewer ends (0 or 1; a group document may override it)'),
    adhocAllowAnonymity: bool(true, 'an ad-hoc session (no group document) lets a participant join anonymously (Privacy: id, OMA IM 7.2.1.5 step 3)'),
    inviteTimeoutMs: int(60_000, 100, 600_000, 'how long the focus rings an invitee before it cancels the invitation, in ms'),
    rejoinWindowMs: int(300_000, 100, 86_400_000, 'after a restart, how long the participants of a stored group session have to rejoin with its IM Session Identity before they are removed, in ms'),
    slowReceiverMs: int(5000, 10, 600_000, 'a participant whose MSRP leg stays congested this long is removed (OMA IM 7.2.1.9) and its senders get failure REPORTs, in ms (at most half of msrp.transactionTimeoutMs: a congested leg pauses the others, their answers included)'),
  }),
  events: section('conference state subscriptions (RFC 4575; OMA IM 7.2.2.10)', {
    minExpiresS: int(60, 1, 86_400, 'shortest SUBSCRIBE expiry accepted, in s (shorter: 423 with Min-Expires)'),
    maxExpiresS: int(3600, 1, 604_800, 'longest subscription granted, in s'),
    defaultExpiresS: int(3600, 1, 604_800, 'subscription time when the SUBSCRIBE asks none, in s'),
    maxSubscriptions: int(500, 1, 100_000, 'conference state subscriptions at once (beyond: 503 + Retry-After)'),
    maxPerUser: int(20, 1, 10_000, 'subscriptions one user may hold at once (beyond: 403)'),
  }),
  store: section('SQLite store', {
    synchronous: oneOf(['FULL', 'NORMAL', 'EXTRA'], 'FULL', 'PRAGMA synchronous (FULL: an acknowledged write survives a power cut)'),
    cacheSizeKiB: int(8192, 256, MIB, 'SQLite page cache, in KiB'),
    busyTimeoutMs: int(5000, 0, 600_000, 'wait for a locked database, in ms'),
    batchWindowMs: int(2, 0, 100, 'writes within this window share one transaction, in ms'),
    probeIntervalMs: int(1000, 1000, 3_600_000, 'the health check writes and fsyncs a probe row at most this often, in ms (SD-card wear on boards)'),
  }),
  watchdog: section('external watchdog MCU', {
    enabled: bool(false, 'send heartbeats to the watchdog'),
    required: bool(false, 'exit with status 2 when the watchdog cannot be opened at start-up'),
    device: str('', 'serial device (or /dev/watchdog for protocol devwatchdog)', {
      maxLength: 4096,
      allowed: 'a device path (empty when disabled)',
      ok: noControl,
    }),
    baudRate: int(115_200, 50, 4_000_000, 'serial speed, in bit/s'),
    protocol: oneOf(['line', 'kick', 'devwatchdog'], 'line', 'line = ARM/HB/DISARM text lines; kick = one byte per period; devwatchdog = Linux /dev/watchdog'),
    periodMs: int(5000, 100, 60_000, 'heartbeat period while healthy, in ms'),
    timeoutS: int(60, 5, 3600, 'MCU reset timeout sent with ARM, in s (must exceed stop + restart + start-up)'),
    answerTimeoutMs: int(2000, 10, 60_000, 'wait for the MCU answer to a line, in ms'),
    kickByte: str('\n', 'byte written per period by protocol kick', {
      maxLength: 4,
      allowed: 'one character or \\xNN',
      ok: (s) => parseKickByte(s) !== undefined,
    }),
    reopenBackoffMs: section('delay between attempts to reopen a lost device', {
      min: int(500, 10, 600_000, 'first retry delay, in ms'),
      max: int(30_000, 10, 3_600_000, 'longest retry delay, in ms'),
    }),
  }),
  health: section('health sampling and thresholds', {
    sampleIntervalMs: int(30_000, 1000, 3_600_000, 'how often system figures are sampled, in ms'),
    fastSampleIntervalMs: int(1000, 50, 60_000, 'how often cheap /proc and /sys figures and event-loop lag are sampled, in ms'),
    hardMaxEventLoopLagMs: int(10_000, 50, 600_000, 'event loop lag at which the process counts as hung: heartbeats stop, /healthz 503, in ms'),
    hardMaxRssMiB: int(512, 32, 65_536, 'resident memory at which heartbeats stop and /healthz is 503 (the process memory limit), in MiB'),
    maxEventLoopLagMs: int(2000, 10, 600_000, 'event loop lag above which the process is unhealthy, in ms'),
    maxRssMiB: int(256, 32, 65_536, 'resident memory above which new sessions are refused, in MiB'),
    minDiskFreeMiB: int(64, 0, MIB, 'free space under dataDir below which new sessions are refused, in MiB'),
    maxTempC: num(80, 30, 150, 'SoC temperature above which new sessions are refused, in C'),
    maxLoad1PerCore: num(4, 0.1, 1000, '1-minute load per core above which new sessions are refused'),
    uplinkInterface: str('', 'network interface whose link is reported (empty = do not check)', {
      maxLength: 15,
      allowed: 'empty, or an interface name (letters, digits, "_", ".", "-", ":")',
      ok: (s) => /^[A-Za-z0-9_.:-]*$/.test(s),
    }),
    retryAfterS: int(30, 1, 3600, 'Retry-After sent with 503 under pressure, in s'),
  }),
  debug: section('fault-test aids: never on in the field', {
    allowBlockLoop: bool(false, 'SIGUSR2 blocks the event loop for twice the longer of health.hardMaxEventLoopLagMs and watchdog.periodMs (the watchdog fault test: heartbeats must stop); off = SIGUSR2 keeps its default action'),
  }),
});

export type ConfigSchema = typeof configSchema;

type DeepReadonly<T> = T extends readonly (infer I)[]
  ? readonly DeepReadonly<I>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** The fully resolved configuration. */
export type Config = DeepReadonly<v.InferOutput<ConfigSchema>>;

/** A partial configuration, as written in a board profile or a config file. */
export type PartialConfig = DeepReadonly<DeepPartial<v.InferOutput<ConfigSchema>>>;

export type LogLevel = Config['log']['level'];
export type WatchdogProtocol = Config['watchdog']['protocol'];
