// SIP dialog state (RFC 3261 12) for both roles, and the in-dialog requests built from it.
// Pure: no sockets, no clock; the caller owns sending.
import type { Flow, NameAddr, SipRequest, SipResponse } from './types';
import { headerText } from './types';
import { detached, detachedDeep } from '../../util/detach';

export interface DialogState {
  callId: string;
  localTag: string;
  remoteTag: string;
  /** From of our requests (RFC 3261 12.1.1: the To of the request we answered, as UAS). */
  local: NameAddr;
  remote: NameAddr;
  /** Next CSeq we send (12.2.1.1: incremented by one per request except ACK/CANCEL). */
  localSeq: number;
  /** Highest CSeq seen from the peer; undefined until the first in-dialog request (UAC). */
  remoteSeq: number | undefined;
  /** Contact of the peer (12.1.1 / 12.1.2). */
  remoteTarget: string;
  /** Record-Route as the route set, in the order our requests must carry it. */
  routeSet: NameAddr[];
  /** The flow the peer was reached on, tried first for in-dialog requests. */
  flow?: Flow;
}

const firstContact = (m: { headers: { contact?: NameAddr[] | '*' } }): string | undefined => {
  const c = m.headers.contact;
  return Array.isArray(c) && c.length > 0 ? c[0].uri : undefined;
};

/** 12.1.1: the UAS side, from the request that created the dialog and our To tag. */
export function dialogAsUas(req: SipRequest, localTag: string, flow?: Flow): DialogState {
  const h = req.headers;
  return standalone({
    callId: h['call-id'] ?? '',
    localTag,
    remoteTag: String(h.from?.params.tag ?? ''),
    local: { ...(h.to as NameAddr), params: { ...h.to?.params, tag: localTag } },
    remote: h.from as NameAddr,
    localSeq: 1,
    remoteSeq: h.cseq?.seq,
    remoteTarget: firstContact(req) ?? (h.from?.uri ?? ''),
    routeSet: [...(h['record-route'] ?? [])],
    flow,
  });
}

/** 12.1.2: the UAC side, from our request and the 2xx (or 1xx with tag) that answered it. */
export function dialogAsUac(req: SipRequest, rs: SipResponse, flow?: Flow): DialogState {
  const h = req.headers;
  return standalone({
    callId: h['call-id'] ?? '',
    localTag: String(h.from?.params.tag ?? ''),
    remoteTag: String(rs.headers.to?.params.tag ?? ''),
    local: h.from as NameAddr,
    remote: rs.headers.to as NameAddr,
    localSeq: h.cseq?.seq ?? 1,
    remoteSeq: undefined,
    remoteTarget: firstContact(rs) ?? req.uri,
    // 12.1.2: the route set is the Record-Route of the response, in reverse order.
    routeSet: [...(rs.headers['record-route'] ?? [])].reverse(),
    flow,
  });
}

/**
 * A dialog outlives the messages it was made from: its strings are copied out of their text
 * (util/detach), or each held session would keep its INVITE and 2xx alive.
 */
function standalone(d: DialogState): DialogState {
  return {
    ...d,
    callId: detached(d.callId),
    localTag: detached(d.localTag),
    remoteTag: detached(d.remoteTag),
    local: detachedDeep(d.local),
    remote: detachedDeep(d.remote),
    remoteTarget: detached(d.remoteTarget),
    routeSet: detachedDeep(d.routeSet),
  };
}

/** True when the message belongs to this dialog (Call-ID and both tags). */
export function matchesDialog(d: DialogState, m: SipRequest): boolean {
  const h = m.headers;
  return h['call-id'] === d.callId && h.to?.params.tag === d.localTag && h.from?.params.tag === d.remoteTag;
}

/**
 * 12.2.2: a request with a lower CSeq than the last one is out of order (answer 500).
 * Returns false for such a request and otherwise records its CSeq.
 */
export function acceptRemoteSeq(d: DialogState, req: SipRequest): boolean {
  const seq = req.headers.cseq?.seq ?? 0;
  if (req.method === 'ACK' || req.method === 'CANCEL') return true;
  if (d.remoteSeq !== undefined && seq <= d.remoteSeq) return false;
  d.remoteSeq = seq;
  return true;
}

export interface InDialogOptions {
  body?: Buffer;
  contentType?: string;
  headers?: Record<string, unknown>;
  /** For ACK: the CSeq of the INVITE it acknowledges. */
  seq?: number;
}

/** 12.2.1.1: a request inside the dialog. CSeq advances except for ACK (same as the INVITE). */
export function inDialogRequest(d: DialogState, method: string, opts: InDialogOptions = {}): SipRequest {
  let seq: number;
  if (method === 'ACK') seq = opts.seq ?? d.localSeq;
  else {
    d.localSeq += 1;
    seq = d.localSeq;
  }
  const body = opts.body ?? Buffer.alloc(0);
  const headers: SipRequest['headers'] = {
    via: [],
    'max-forwards': '70',
    from: { ...d.local, params: { ...d.local.params, tag: d.localTag } },
    to: { ...d.remote, params: { ...d.remote.params, tag: d.remoteTag } },
    'call-id': d.callId,
    cseq: { seq, method },
    ...(d.routeSet.length ? { route: d.routeSet } : {}),
    ...(body.length && opts.contentType ? { 'content-type': opts.contentType } : {}),
    ...opts.headers,
  };
  return { method, uri: d.remoteTarget, headers, body };
}

/** 12.2.1.2 / 20.10: a target refresh (re-INVITE, its 2xx) may change the remote target. */
export function refreshTarget(d: DialogState, m: SipRequest | SipResponse): void {
  const c = firstContact(m);
  if (c) d.remoteTarget = c;
}

/** The Content-Type of a message, lower-cased without parameters. */
export function mediaType(m: { headers: SipRequest['headers'] }): string | undefined {
  return headerText(m, 'content-type')?.split(';')[0].trim().toLowerCase();
}
