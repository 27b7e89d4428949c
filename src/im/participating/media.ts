// The SDP side of a back-to-back MSRP session: what imedge offers each leg and answers it.
// Who opens each MSRP connection follows RFC 6135 (RFC 4975 5.4 without a=setup), decided by
// src/sdp/connection-role.ts: imedge prefers to be passive (clients behind NAT connect out to
// it) and connects out to peers that answer or offer passive, or answer without a=setup.
// Each leg has its own transport (RFC 4975 6, 8.1): a TCP/TLS/MSRP offer gets an msrps: URI on
// the TLS port, a TCP/MSRP one an msrp: URI on the TCP port; a TLS caller may reach a TCP callee.
import { answerFor, buildMsrpSdp, findMsrpMedia, parseSdp, SdpError, sdpUnacceptable, type MediaDescription, type MediaFields, type MsrpProto, type SetupRole } from '../../sdp';
import { msrpUriEquals, parseMsrpUri } from '../../msrp/wire';
import { detached } from '../../util/detach';

export interface MsrpListen {
  /** Address written in c= and in our MSRP URIs. */
  address: string;
  port: number;
  /** The MSRP over TLS port when TLS is on: TCP/TLS/MSRP is then served (msrps: legs). */
  tlsPort?: number;
}

/** RFC 4975 8.1: the proto that goes with one of our leg URIs (msrps: is TCP/TLS/MSRP). */
export function legProto(ourUri: string): MsrpProto {
  return /^msrps:/i.test(ourUri) ? 'TCP/TLS/MSRP' : 'TCP/MSRP';
}

/** A stream that uses MSRP over TLS. */
export function isTlsMedia(media: Pick<MediaDescription, 'proto'>): boolean {
  return media.proto === 'TCP/TLS/MSRP';
}

/** The m= port of a leg: the listener its URI names. */
function legPort(ourUri: string, listen: MsrpListen): number {
  if (legProto(ourUri) === 'TCP/MSRP') return listen.port;
  if (listen.tlsPort === undefined) throw new Error('an msrps: leg without an MSRP TLS listener');
  return listen.tlsPort;
}

/**
 * RFC 3264 6: an answer (or a re-offer) keeps the transport the leg was set up with; a leg
 * cannot move between TCP and TLS (its URI and connection are fixed). The reason, or undefined.
 */
export function transportChange(media: Pick<MediaDescription, 'proto'>, ourUri: string): string | undefined {
  const want = legProto(ourUri);
  return media.proto === want ? undefined : `MSRP transport ${media.proto} where ${want} was set up`;
}

/**
 * RFC 4975 7.3 / 8.2: a running leg checks every request's sender against the peer's own URI
 * (the last a=path entry); imedge does not move a running leg to a new URI, so a re-offer that
 * names another one is refused (488) rather than answered 200 and not followed. The reason, or
 * undefined.
 */
export function pathChange(offer: Pick<MediaDescription, 'path'>, running: Pick<MediaDescription, 'path'> | undefined): string | undefined {
  if (running === undefined || running.path.length === 0 || offer.path.length === 0) return undefined;
  const now = parseMsrpUri(running.path[running.path.length - 1]);
  const next = parseMsrpUri(offer.path[offer.path.length - 1]);
  if (now === undefined || next === undefined || msrpUriEquals(now, next)) return undefined;
  return 'a re-offer may not change the MSRP URI of a running session (a=path)';
}

export type MediaResult = { ok: true; media: MediaFields } | { ok: false; status: 400 | 415 | 488; reason: string };

/**
 * The MSRP stream of an INVITE or 2xx body; a SIP status when there is none usable. tls: MSRP
 * over TLS is served here (tls.cert and tls.key set), so TCP/TLS/MSRP streams are accepted too.
 */
export function msrpMediaOf(contentType: string | undefined, body: Buffer, tls = false): MediaResult {
  if (body.length === 0) return { ok: false, status: 488, reason: 'no SDP offer' };
  if (contentType !== 'application/sdp') return { ok: false, status: 415, reason: `unsupported body ${contentType ?? '(none)'}` };
  let sd;
  try {
    sd = parseSdp(body);
  } catch (err) {
    if (err instanceof SdpError) return { ok: false, status: sdpUnacceptable(err) ? 488 : 400, reason: `bad SDP: ${err.reason}` };
    throw err;
  }
  // Without TLS, MSRP over TLS (msrps:, TCP/TLS/MSRP) is unacceptable media (RFC 3264 6:
  // 488), never an internal error
  const media = findMsrpMedia(sd, tls ? ['TCP/MSRP', 'TCP/TLS/MSRP'] : ['TCP/MSRP']);
  if (!media) {
    return { ok: false, status: 488, reason: findMsrpMedia(sd) ? 'MSRP over TLS (TCP/TLS/MSRP) is not offered here' : 'no MSRP media stream' };
  }
  return { ok: true, media: keptMedia(media) };
}

/**
 * What a leg keeps of a media description for the session's life: its meaning, not its lines,
 * with the long strings copied out of the SDP text they were cut from (util/detach).
 */
function keptMedia(m: MediaDescription): MediaFields {
  return {
    index: m.index,
    type: m.type,
    port: m.port,
    proto: m.proto,
    formats: m.formats,
    connection: m.connection,
    acceptTypes: m.acceptTypes.map(detached),
    acceptWrappedTypes: m.acceptWrappedTypes.map(detached),
    maxSize: m.maxSize,
    path: m.path.map(detached),
    setup: m.setup,
    direction: m.direction,
    fileSelector: m.fileSelector === undefined ? undefined : detached(m.fileSelector),
    streams: m.streams.length === 0 ? m.streams : m.streams.map(detached),
  };
}

/** o= line: the caller passes a version that grows with every new description (RFC 3264 8). */
function origin(address: string, sessionId: string, version: number) {
  // 12 hex digits are 48 bits: exact in a double, no BigInt needed
  const numeric = Number.parseInt(sessionId.slice(0, 12).replace(/[^0-9a-f]/gi, '0').padEnd(12, '0'), 16).toString();
  return { username: 'imedge', sessionId: numeric, version, address };
}

/**
 * Our offer toward the other leg (RFC 4975 8, RFC 6135): our path, our a=setup, and the offering
 * side's accept-types, wrapped types, max-size and direction (sendonly = large message mode).
 * A new session offers actpass (the answer decides who connects); a re-offer repeats imedge's
 * current role on that leg, so the running connection is kept.
 */
export function relayOffer(
  from: MediaFields,
  ourUri: string,
  listen: MsrpListen,
  sessionId: string,
  version: number,
  setup: SetupRole = 'actpass',
): Buffer {
  return Buffer.from(
    buildMsrpSdp({
      origin: origin(listen.address, sessionId, version),
      address: listen.address,
      port: legPort(ourUri, listen),
      proto: legProto(ourUri),
      acceptTypes: from.acceptTypes,
      ...(from.acceptWrappedTypes.length ? { acceptWrappedTypes: from.acceptWrappedTypes } : {}),
      ...(from.maxSize !== undefined ? { maxSize: from.maxSize } : {}),
      path: [ourUri],
      setup,
      direction: from.direction,
    }),
    'utf8',
  );
}

export type AnswerResult = { ok: true; body: Buffer } | { ok: false; status: 488; reason: string };

/**
 * Our answer to the offering leg once the other leg answered: accept-types are the
 * intersection of what both sides accept (RFC 4975 8.6); none in common is 488. a=setup comes
 * from answererRole (RFC 6135): passive to actpass/active (or `preferred` to actpass, for a
 * re-offer on a leg where imedge is active), active to passive, none to an offer without one.
 */
export function relayAnswer(
  offer: MediaFields,
  otherAnswer: MediaFields,
  ourUri: string,
  listen: MsrpListen,
  sessionId: string,
  version: number,
  preferred: 'passive' | 'active' = 'passive',
): AnswerResult {
  const change = transportChange(offer, ourUri);
  if (change !== undefined) return { ok: false, status: 488, reason: change };
  const a = answerFor(offer, { path: [ourUri], port: legPort(ourUri, listen), address: listen.address }, {
    acceptTypes: otherAnswer.acceptTypes,
    acceptWrappedTypes: otherAnswer.acceptWrappedTypes,
    ...(otherAnswer.maxSize !== undefined ? { maxSize: otherAnswer.maxSize } : {}),
    preferredSetup: preferred,
  });
  if (!a.ok) return { ok: false, status: 488, reason: a.reason };
  return { ok: true, body: Buffer.from(buildMsrpSdp({ origin: origin(listen.address, sessionId, version), ...a.media }), 'utf8') };
}
