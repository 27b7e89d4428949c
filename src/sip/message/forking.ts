// RFC 3261 16.7 step 6: which final response of a forked request goes back upstream. One
// function for every forking place (page-mode MESSAGE in core/router, INVITE in the B2BUA).
// Pure: responses in, a choice out.
import type { SipResponse } from './types';

/** 4xx codes a proxy should prefer within the class: they can let the request be retried. */
const PREFERRED_4XX = new Set([401, 407, 415, 420, 484]);

/**
 * RFC 3261 16.7 step 6: a 6xx wins (the first received); otherwise the lowest class; within
 * 4xx, 401/407/415/420/484 first; otherwise the first received of the class. Undefined when
 * there is no final response at all (the caller answers 408 or 480, as fits).
 */
export function bestFinalResponse<R extends { readonly status: number }>(finals: readonly R[]): R | undefined {
  let best: R | undefined;
  for (const r of finals) {
    if (r.status < 200) continue;
    if (r.status >= 600) return r;
    if (best === undefined || rank(r.status) < rank(best.status)) best = r;
  }
  return best;
}

/** Lower is better: the class first, then a preferred 4xx before the others of 4xx. */
function rank(status: number): number {
  const cls = Math.floor(status / 100) * 10;
  return cls + (cls === 40 && !PREFERRED_4XX.has(status) ? 1 : 0);
}

/**
 * RFC 3261 16.7 step 6: a 503 chosen for upstream becomes 500, so the upstream client does not
 * take the downstream element's overload for ours and stop sending to this server.
 */
export function upstreamStatus(status: number): number {
  return status === 503 ? 500 : status;
}

/**
 * A branch's final answer as the caller should see it. A 503 without a To tag was made here:
 * the stack could not reach the contact (its connection gone, the dial refused), since a UAS
 * tags every answer above 100 (RFC 3261 8.2.6.2). Attack finding (F3): relayed by step 6 above
 * it became 500 Server Internal Error; the contact is unreachable, so 480 (RFC 3261 21.4.18).
 */
export function branchAnswer(rs: SipResponse): SipResponse {
  const tag = rs.headers.to?.params.tag;
  if (rs.status !== 503 || (tag !== undefined && tag !== null && tag !== '')) return rs;
  return { ...rs, status: 480, reason: 'Temporarily Unavailable' };
}
