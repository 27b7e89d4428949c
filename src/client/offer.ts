// The client's side of SDP offer/answer for MSRP (RFC 3264, RFC 4975 section 8, RFC 6135):
// which offer to send, who connects after an answer, and what to answer to an offer.
// Pure: no sockets, no clock.
import {
  answerFor,
  buildMsrpSdp,
  findMsrpMedia,
  parseSdp,
  SdpError,
  type Direction,
  type MediaDescription,
  type SetupRole,
} from '../sdp';

/** Our side of the media: the MSRP listener and this session's URI. */
export interface LocalMedia {
  readonly address: string;
  readonly port: number;
  /** Our MSRP URI for the session (a=path). */
  readonly uri: string;
  /** o= session id (digits) and version, incremented on each re-offer. */
  readonly sessionId: string;
  readonly version: number;
}

export interface OfferSpec {
  readonly acceptTypes: readonly string[];
  readonly maxSize?: number;
  /** actpass for a new session; our current role in a re-offer, so the connection is kept. */
  readonly setup: SetupRole;
  /** sendonly for large message mode (OMA IM 9.1.1). */
  readonly direction?: Direction;
}

export function buildOffer(local: LocalMedia, spec: OfferSpec): string {
  return buildMsrpSdp({
    origin: { username: '-', sessionId: local.sessionId, version: local.version, address: local.address },
    address: local.address,
    port: local.port,
    proto: 'TCP/MSRP',
    acceptTypes: spec.acceptTypes,
    ...(spec.maxSize !== undefined ? { maxSize: spec.maxSize } : {}),
    path: [local.uri],
    setup: spec.setup,
    ...(spec.direction !== undefined ? { direction: spec.direction } : {}),
  });
}

/** Who opens the TCP connection and what the peer asked for. */
export interface MediaAgreement {
  /** 'we' dial the first URI of remotePath and send first; 'peer' dials us. */
  readonly connects: 'we' | 'peer';
  readonly remotePath: readonly string[];
  /** Types the peer accepts (its a=accept-types). */
  readonly remoteAcceptTypes: readonly string[];
  /** The largest message the peer takes (its a=max-size). */
  readonly peerMaxSize: number | undefined;
  readonly direction: Direction;
}

export type AnswerReading = ({ readonly ok: true } & MediaAgreement) | { readonly ok: false; readonly reason: string };

function msrpMediaOf(body: Buffer): MediaDescription | string {
  let media: MediaDescription | undefined;
  try {
    media = findMsrpMedia(parseSdp(body));
  } catch (err) {
    return err instanceof SdpError ? `bad SDP: ${err.message}` : String(err);
  }
  return media ?? 'no usable MSRP media stream';
}

/**
 * Reads the answer to our offer. RFC 6135 / RFC 4145 4.1: to our actpass the answerer says
 * passive (we connect: what the imedge server and our own answerer do) or active (it
 * connects); an answer without a=setup keeps RFC 4975 5.4, where the offerer connects.
 */
export function readAnswer(body: Buffer, offered: SetupRole): AnswerReading {
  const media = msrpMediaOf(body);
  if (typeof media === 'string') return { ok: false, reason: media };
  const connects = connectsAfterAnswer(offered, media.setup);
  if (connects === undefined) return { ok: false, reason: `a=setup:${media.setup ?? '(none)'} does not fit our ${offered}` };
  return {
    ok: true,
    connects,
    remotePath: media.path,
    remoteAcceptTypes: media.acceptTypes,
    peerMaxSize: media.maxSize,
    direction: media.direction,
  };
}

export function connectsAfterAnswer(offered: SetupRole, answered: SetupRole | undefined): 'we' | 'peer' | undefined {
  if (answered === undefined) return offered === 'passive' ? 'peer' : 'we';
  if (offered === 'actpass') return answered === 'passive' ? 'we' : answered === 'active' ? 'peer' : undefined;
  if (offered === 'active') return answered === 'passive' ? 'we' : undefined;
  if (offered === 'passive') return answered === 'active' ? 'peer' : undefined;
  return undefined;
}

export interface AnswerPolicyInput {
  readonly acceptTypes: readonly string[];
  readonly maxSize?: number;
  /**
   * Our role when the offer says actpass. A fresh session: passive (the offerer dials us, as it
   * dials the server). A re-offer: our current role, so the running connection is kept.
   */
  readonly preferredSetup: 'active' | 'passive';
}

export type OfferReading =
  | ({ readonly ok: true; readonly sdp: string; readonly acceptTypes: readonly string[]; readonly largeMessage: boolean } & MediaAgreement)
  | { readonly ok: false; readonly status: number; readonly reason: string };

/**
 * Our answer to an offer. RFC 6135: offer passive (the server's offer to a callee) -> we
 * answer active and dial its path; offer active -> passive; actpass -> the preferred role.
 * OMA IM 9.1.1: a sendonly offer is large message mode, answered recvonly (by answerFor).
 * An unusable stream or no common type is 488 (RFC 3264 / OMA IM 7.2.1.5 step 4).
 */
export function answerOffer(body: Buffer, local: LocalMedia, policy: AnswerPolicyInput): OfferReading {
  const media = msrpMediaOf(body);
  if (typeof media === 'string') return { ok: false, status: 488, reason: media };
  if (media.setup === 'holdconn') return { ok: false, status: 488, reason: 'a=setup:holdconn not supported' };
  const a = answerFor(media, { path: [local.uri], port: local.port, address: local.address }, {
    acceptTypes: policy.acceptTypes,
    ...(policy.maxSize !== undefined ? { maxSize: policy.maxSize } : {}),
    preferredSetup: policy.preferredSetup,
  });
  if (!a.ok) return { ok: false, status: 488, reason: a.reason };
  const sdp = buildMsrpSdp({
    ...a.media,
    origin: { username: '-', sessionId: local.sessionId, version: local.version, address: local.address },
  });
  return {
    ok: true,
    sdp,
    // answerFor's 'none' is holdconn, refused above
    connects: a.connects === 'we' ? 'we' : 'peer',
    remotePath: media.path,
    remoteAcceptTypes: media.acceptTypes,
    peerMaxSize: a.peerMaxSize,
    direction: media.direction,
    acceptTypes: a.media.acceptTypes,
    largeMessage: a.largeMessage,
  };
}
