// The SDP of a group session: the focus's offer to an invitee and its answer to a joiner.
// Every message a participant receives comes wrapped in message/cpim (RFC 3862) so it can say
// who sent it: a participant must accept message/cpim (otherwise 488, 7.2.1.5 step 4). What
// a participant may send: text/plain (the switch wraps it) or message/cpim (From rewritten).
import { answerFor, buildMsrpSdp, findMsrpMedia, parseSdp, SdpError, sdpUnacceptable, negotiateAcceptTypes, type MediaDescription } from '../../sdp';

/** What the focus accepts from participants (a=accept-types), and any type inside CPIM. */
export const GROUP_ACCEPT_TYPES = ['message/cpim', 'text/plain'] as const;
const WRAPPED = ['*'] as const;

export interface FocusListen {
  readonly address: string;
  readonly port: number;
}

export type FocusMedia = { ok: true; media: MediaDescription } | { ok: false; status: 400 | 488; reason: string };

/** The MSRP stream of a participant's SDP (offer or answer), or the status that refuses it. */
export function participantMedia(sdp: Buffer): FocusMedia {
  let sd;
  try {
    sd = parseSdp(sdp);
  } catch (err) {
    if (err instanceof SdpError) return { ok: false, status: sdpUnacceptable(err) ? 488 : 400, reason: `bad SDP: ${err.reason}` };
    throw err;
  }
  const media = findMsrpMedia(sd, ['TCP/MSRP']);
  if (media === undefined) return { ok: false, status: 488, reason: findMsrpMedia(sd) ? 'MSRP over TLS is not offered here' : 'no MSRP media stream' };
  // 7.2.1.5 step 4 / RFC 4975 8.6: the focus delivers every message as message/cpim
  if (negotiateAcceptTypes(media.acceptTypes, ['message/cpim']).length === 0) {
    return { ok: false, status: 488, reason: 'a group session delivers message/cpim: the offer must accept it' };
  }
  if (media.direction !== 'sendrecv') return { ok: false, status: 488, reason: `a group session is sendrecv, not ${media.direction}` };
  return { ok: true, media };
}

function origin(listen: FocusListen, sessionId: string, version: number) {
  const numeric = BigInt('0x' + sessionId.replace(/[^0-9a-f]/gi, '0').slice(0, 12).padEnd(12, '0')).toString();
  return { username: 'imedge', sessionId: numeric, version, address: listen.address };
}

/**
 * The focus's offer to an invitee (it is the offerer, a=setup:actpass, RFC 6135); in a 200 to a
 * re-INVITE without an offer, the role the focus already has on the running connection.
 */
export function focusOffer(
  listen: FocusListen,
  ourUri: string,
  conferenceId: string,
  maxSize: number | undefined,
  setup: 'actpass' | 'active' | 'passive' = 'actpass',
  version = 1,
): Buffer {
  return Buffer.from(
    buildMsrpSdp({
      origin: origin(listen, conferenceId, version),
      address: listen.address,
      port: listen.port,
      proto: 'TCP/MSRP',
      acceptTypes: GROUP_ACCEPT_TYPES,
      acceptWrappedTypes: WRAPPED,
      ...(maxSize !== undefined ? { maxSize } : {}),
      path: [ourUri],
      setup,
      direction: 'sendrecv',
    }),
    'utf8',
  );
}

export type FocusAnswer = { ok: true; body: Buffer; weConnect: boolean; setupHold: boolean } | { ok: false; reason: string };

/**
 * 7.2.1.5 step 6a: the answer's accept-types are those of the offer the focus also accepts
 * (RFC 4975 8.6); a=setup per RFC 6135 (passive unless the offer is passive).
 */
export function focusAnswer(offer: MediaDescription, listen: FocusListen, ourUri: string, conferenceId: string, version: number, maxSize: number | undefined): FocusAnswer {
  const a = answerFor(offer, { path: [ourUri], port: listen.port, address: listen.address }, {
    acceptTypes: GROUP_ACCEPT_TYPES,
    acceptWrappedTypes: WRAPPED,
    ...(maxSize !== undefined ? { maxSize } : {}),
    preferredSetup: 'passive',
  });
  if (!a.ok) return { ok: false, reason: a.reason };
  const body = Buffer.from(buildMsrpSdp({ origin: origin(listen, conferenceId, version), ...a.media }), 'utf8');
  return { ok: true, body, weConnect: a.connects === 'we', setupHold: a.connects === 'none' };
}
