/**
 * A SIP refusal as a typed error (STYLE habit 6): the layer that decides (a policy, the SDP
 * codec's caller, a limit) says status, reason phrase and Warning; the SIP edge writes them
 * to the wire in one place. It lives in util because policies may import nothing else and
 * every layer above may need to raise or translate one.
 *
 * (The client library has its own SipStatusError: that one is a refusal *received* from a
 * peer, with the Warning as the raw header text; this one is a refusal *to send*.)
 */

/** RFC 3261 20.43: warn-code 399 is "miscellaneous warning", the one for free text. */
export const WARN_MISC = 399;

export interface SipWarning {
  /** 3 digits, RFC 3261 20.43 (300-399) */
  readonly code: number;
  /** warn-agent: the host name (or pseudonym) of the server adding the Warning */
  readonly agent: string;
  /** warn-text, unquoted; quoted and escaped by warningHeaderValue() */
  readonly text: string;
}

export class SipRefusal extends Error {
  override readonly name = 'SipRefusal';

  constructor(
    /** final status code, 300-699 */
    readonly status: number,
    /** reason phrase for the status line */
    readonly reason: string,
    readonly warning?: SipWarning,
    /** where the decision came from, e.g. "OMA IM 7.2.1.5 step 2"; for logs and tests, never sent */
    readonly clause?: string,
  ) {
    super(`${status} ${reason}${warning ? ` (Warning: ${warningHeaderValue(warning)})` : ''}${clause ? ` [${clause}]` : ''}`);
  }

  /** The Warning header value to send, or undefined when there is none. */
  warningHeader(): string | undefined {
    return this.warning === undefined ? undefined : warningHeaderValue(this.warning);
  }
}

/**
 * warning-value = warn-code SP warn-agent SP warn-text, warn-text a quoted-string (RFC 3261
 * 20.43, 25.1). Controls are dropped (they are not qdtext) and quote/backslash escaped, so
 * any text, even one echoing a request, gives a header that passes the grammar.
 */
export function warningHeaderValue(w: SipWarning): string {
  let text = '';
  for (const ch of w.text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c === 0x7f) continue;
    text += ch === '"' || ch === '\\' ? `\\${ch}` : ch;
  }
  const agent = w.agent.length > 0 && !/[\s"]/.test(w.agent) ? w.agent : 'imedge';
  const code = Number.isInteger(w.code) && w.code >= 300 && w.code <= 399 ? w.code : WARN_MISC;
  return `${code} ${agent} "${text}"`;
}

/** Shorthand for the common case: a 399 Warning with free text from this host. */
export function refuse(status: number, reason: string, clause: string, warn?: { agent: string; text: string }): SipRefusal {
  return new SipRefusal(status, reason, warn === undefined ? undefined : { code: WARN_MISC, ...warn }, clause);
}
