/** Choosing the MSRP stream of an offer and building our answer to it (RFC 3264, RFC 4975 8, RFC 6135). */
import { parseMsrpUri } from '../msrp/wire/uri';
import { answererRole } from './connection-role';
import { negotiateAcceptTypes } from './negotiate';
import type { MsrpMediaOptions } from './write';
import type { Direction, MediaDescription, MediaFields, MsrpProto, SessionDescription } from './types';

const MSRP_PROTOS: readonly MsrpProto[] = ['TCP/MSRP', 'TCP/TLS/MSRP'];

export function isMsrpProto(proto: string): proto is MsrpProto {
  return (MSRP_PROTOS as readonly string[]).includes(proto);
}

/** Why this m= section cannot carry an MSRP session, or undefined when it can. */
export function msrpMediaProblem(media: MediaFields, protos: readonly MsrpProto[] = MSRP_PROTOS): string | undefined {
  if (media.type !== 'message') return `media type is "${media.type}", not "message"`;
  if (!(protos as readonly string[]).includes(media.proto)) return `transport ${media.proto} not accepted`;
  // RFC 3264 section 6: port 0 means the stream is rejected
  if (media.port === 0) return 'stream rejected (port 0)';
  // RFC 4975 section 8.2: the path attribute is mandatory
  if (media.path.length === 0) return 'no a=path';
  // RFC 4975 section 8.6: an MSRP media line carries a=accept-types
  if (media.acceptTypes.length === 0) return 'no a=accept-types';
  return firstHopProblem(media.path[0], media.proto as MsrpProto);
}

// RFC 4975 6 / 8.1: the hop a connection is opened to is reached over TCP, with TLS exactly
// when the stream is TCP/TLS/MSRP (msrps:); a ";udp" or a scheme the m= line contradicts is no usable path
function firstHopProblem(uri: string, proto: MsrpProto): string | undefined {
  const hop = parseMsrpUri(uri);
  if (hop === undefined) return 'a=path URI out of grammar';
  if (hop.transport.toLowerCase() !== 'tcp') return `a=path transport "${hop.transport}" is not tcp`;
  if ((hop.scheme === 'msrps') !== (proto === 'TCP/TLS/MSRP')) return `a=path scheme ${hop.scheme}: does not match ${proto}`;
  return undefined;
}

/** The first m=message stream over an accepted MSRP transport with a path and accept-types. */
export function findMsrpMedia(
  sd: SessionDescription,
  protos: readonly MsrpProto[] = MSRP_PROTOS,
): (MediaDescription & { readonly proto: MsrpProto }) | undefined {
  return sd.media.find((m): m is MediaDescription & { proto: MsrpProto } => msrpMediaProblem(m, protos) === undefined);
}

/** OMA IM 9.1.1: an INVITE whose SDP has a=sendonly carries one large message, not a chat. */
export function isLargeMessageMode(media: MediaFields): boolean {
  return media.direction === 'sendonly';
}

export interface LocalMsrpEndpoint {
  /** Our MSRP URIs for this session (the last is ours; relays first). */
  readonly path: readonly string[];
  readonly port: number;
  /** c= address. */
  readonly address: string;
}

export interface AnswerPolicy {
  readonly acceptTypes: readonly string[];
  readonly acceptWrappedTypes?: readonly string[];
  /** Largest message we accept, announced as a=max-size (RFC 4975 section 8.7). */
  readonly maxSize?: number;
  /** The role we want. imedge wants clients to connect to it: 'passive' (the default). */
  readonly preferredSetup?: 'passive' | 'active';
}

export type MsrpAnswer =
  | {
      readonly ok: true;
      /** Feed to buildMsrpSdp together with origin and session name. */
      readonly media: MsrpMediaOptions;
      /** Who opens the TCP connection: 'we' must dial connectTo, 'peer' dials us, 'none' for holdconn. */
      readonly connects: 'we' | 'peer' | 'none';
      /** The first hop of the offerer's path (RFC 4975 section 8.2), where we connect when connects is 'we'. */
      readonly connectTo: string;
      /** Offerer's a=max-size: the largest message we may send it. */
      readonly peerMaxSize: number | undefined;
      /** OMA IM 9.1.1: large message mode (the offer was sendonly). */
      readonly largeMessage: boolean;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * Builds our answer to the MSRP stream of an offer. ok:false means the stream is unacceptable
 * (no common type, not an MSRP stream): the caller answers 488 (DESIGN 7.2.1.5).
 *
 * a=setup (RFC 6135 section 4, using RFC 4145 section 4.1):
 *   offer actpass  -> we answer our preferred role (passive: the client dials us);
 *   offer active   -> passive, the client dials us;
 *   offer passive  -> active, we dial the client's path;
 *   offer holdconn -> holdconn, nobody connects for now;
 *   no a=setup     -> the RFC 4975 model applies unchanged: the offerer opens the connection
 *                     (RFC 4975 section 5.4), i.e. we are passive. We add no a=setup, so a
 *                     peer that predates RFC 6135 sees exactly the answer it expects.
 * Direction (RFC 3264 section 6.1): sendonly -> recvonly, recvonly -> sendonly, else the same.
 */
export function answerFor(
  offer: MediaFields,
  local: LocalMsrpEndpoint,
  policy: AnswerPolicy,
): MsrpAnswer {
  const problem = msrpMediaProblem(offer);
  if (problem !== undefined) return { ok: false, reason: problem };
  // RFC 4975 section 8.6: the answer lists only types we understand; none in common -> reject
  const acceptTypes = negotiateAcceptTypes(offer.acceptTypes, policy.acceptTypes);
  if (acceptTypes.length === 0) return { ok: false, reason: 'no common accept-types' };
  const acceptWrappedTypes = negotiateAcceptTypes(offer.acceptWrappedTypes, policy.acceptWrappedTypes ?? []);

  const role = answererRole(offer.setup, policy.preferredSetup ?? 'passive');
  const media: MsrpMediaOptions = {
    address: local.address,
    port: local.port,
    proto: offer.proto as MsrpProto,
    acceptTypes,
    ...(acceptWrappedTypes.length > 0 ? { acceptWrappedTypes } : {}),
    ...(policy.maxSize !== undefined ? { maxSize: policy.maxSize } : {}),
    path: local.path,
    ...(role.attribute !== undefined ? { setup: role.attribute } : {}),
    direction: answerDirection(offer.direction),
    // RFC 3264 6: the other streams of the offer are answered too, rejected
    ...(offer.streams.length > 1 ? { streams: offer.streams, streamIndex: offer.index } : {}),
  };
  return {
    ok: true,
    media,
    connects: role.connects,
    connectTo: offer.path[0],
    peerMaxSize: offer.maxSize,
    largeMessage: isLargeMessageMode(offer),
  };
}

// RFC 3264 section 6.1: the answer's direction mirrors the offer's
function answerDirection(offered: Direction): Direction {
  if (offered === 'sendonly') return 'recvonly';
  if (offered === 'recvonly') return 'sendonly';
  return offered;
}
