// The SDP side of a back-to-back MSRP session: what imedge offers each leg and answers it.
// imedge is always passive (RFC 6135): every client connects out to imedge's relay, which
// works behind NAT and needs no dial-out from the box.
import { answerFor, buildMsrpSdp, findMsrpMedia, parseSdp, SdpError, type MediaDescription } from '../../sdp';

export interface MsrpListen {
  /** Address written in c= and in our MSRP URIs. */
  address: string;
  port: number;
}

export type MediaResult = { ok: true; media: MediaDescription } | { ok: false; status: 400 | 415 | 488; reason: string };

/** The MSRP stream of an INVITE or 2xx body; a SIP status when there is none usable. */
export function msrpMediaOf(contentType: string | undefined, body: Buffer): MediaResult {
  if (body.length === 0) return { ok: false, status: 488, reason: 'no SDP offer' };
  if (contentType !== 'application/sdp') return { ok: false, status: 415, reason: `unsupported body ${contentType ?? '(none)'}` };
  let sd;
  try {
    sd = parseSdp(body);
  } catch (err) {
    if (err instanceof SdpError) return { ok: false, status: 400, reason: `bad SDP: ${err.reason}` };
    throw err;
  }
  const media = findMsrpMedia(sd);
  if (!media) return { ok: false, status: 488, reason: 'no MSRP media stream' };
  return { ok: true, media };
}

/** o= line: the caller passes a version that grows with every new description (RFC 3264 8). */
function origin(address: string, sessionId: string, version: number) {
  const numeric = BigInt('0x' + sessionId.slice(0, 12).replace(/[^0-9a-f]/gi, '0').padEnd(12, '0')).toString();
  return { username: 'imedge', sessionId: numeric, version, address };
}

/**
 * Our offer toward the other leg (RFC 4975 8, RFC 6135): our path, passive, and the offering
 * side's accept-types, wrapped types, max-size and direction (sendonly = large message mode).
 */
export function relayOffer(from: MediaDescription, ourUri: string, listen: MsrpListen, sessionId: string, version: number): Buffer {
  return Buffer.from(
    buildMsrpSdp({
      origin: origin(listen.address, sessionId, version),
      address: listen.address,
      port: listen.port,
      proto: from.proto === 'TCP/TLS/MSRP' ? 'TCP/TLS/MSRP' : 'TCP/MSRP',
      acceptTypes: from.acceptTypes,
      ...(from.acceptWrappedTypes.length ? { acceptWrappedTypes: from.acceptWrappedTypes } : {}),
      ...(from.maxSize !== undefined ? { maxSize: from.maxSize } : {}),
      path: [ourUri],
      setup: 'passive',
      direction: from.direction,
    }),
    'utf8',
  );
}

export type AnswerResult = { ok: true; body: Buffer } | { ok: false; status: 488; reason: string };

/**
 * Our answer to the offering leg once the other leg answered: accept-types are the
 * intersection of what both sides accept (RFC 4975 8.6); none in common is 488.
 */
export function relayAnswer(offer: MediaDescription, otherAnswer: MediaDescription, ourUri: string, listen: MsrpListen, sessionId: string, version: number): AnswerResult {
  const a = answerFor(offer, { path: [ourUri], port: listen.port, address: listen.address }, {
    acceptTypes: otherAnswer.acceptTypes,
    acceptWrappedTypes: otherAnswer.acceptWrappedTypes,
    ...(otherAnswer.maxSize !== undefined ? { maxSize: otherAnswer.maxSize } : {}),
    preferredSetup: 'passive',
  });
  if (!a.ok) return { ok: false, status: 488, reason: a.reason };
  // We never dial out: an offerer that insists on being passive cannot reach our relay.
  if (a.connects === 'we') return { ok: false, status: 488, reason: 'a=setup:passive offers are not supported (clients connect to imedge)' };
  return { ok: true, body: Buffer.from(buildMsrpSdp({ origin: origin(listen.address, sessionId, version), ...a.media }), 'utf8') };
}

/**
 * The answering leg must connect to us: a=setup:active. An answer without a=setup comes from a
 * client that predates RFC 6135 and expects the offerer to dial; imedge does not dial out, so
 * only an explicit passive is refused here and a silent one is given the MSRP connect timeout.
 */
export function answerConnectsToUs(answer: MediaDescription): boolean {
  return answer.setup !== 'passive';
}
