// message/cpim (RFC 3862) as a client sees it: in a group session the focus wraps every message
// with the sender's identity in From (OMA IM; the anonymous URI when the sender asked for
// anonymity). The codec is src/msrp/wire/cpim.ts; this file only reads and writes through it.
import {
  CPIM_ANONYMOUS_URI,
  cpimHeaderValues,
  encodeCpim,
  formatCpimAddress,
  formatCpimDateTime,
  parseCpim,
  parseCpimAddress,
} from '../msrp/wire';

export const CPIM_TYPE = 'message/cpim';

/** Who sent a message, as the CPIM From says (RFC 3862 4.1). */
export interface MessageSender {
  readonly uri: string;
  /** The display name (Formal-name), when given. */
  readonly name?: string;
  /** From is the anonymous URI (RFC 3323 4.1.1.3): the sender hid its identity. */
  readonly anonymous: boolean;
}

/** What a message/cpim payload carried besides its content. */
export interface CpimEnvelope {
  /** The whole payload as received (Content-Type message/cpim). */
  readonly payload: Buffer;
  /** To values (RFC 3862 4.2), as written. */
  readonly to: readonly string[];
  /** DateTime (RFC 3862 4.4), as written. */
  readonly dateTime?: string;
}

export interface Unwrapped {
  /** The content the user reads: the wrapped object's type/subtype and body for CPIM. */
  readonly contentType: string;
  readonly body: Buffer;
  readonly sender?: MessageSender;
  readonly cpim?: CpimEnvelope;
}

/**
 * Opens a message/cpim payload (RFC 3862 2): the encapsulated type and body, and the sender
 * from From. Anything else, or a payload that does not parse as CPIM, is given as it came.
 */
export function unwrapCpim(contentType: string, body: Buffer): Unwrapped {
  if (contentType.toLowerCase() !== CPIM_TYPE) return { contentType, body };
  const parsed = parseCpim(body);
  if (!parsed.ok) return { contentType, body };
  const msg = parsed.value;
  const ct = msg.mimeHeaders.find((h) => h.name.toLowerCase() === 'content-type')?.value;
  // RFC 2045 5.2: no Content-Type means text/plain
  const inner = (ct ?? 'text/plain').split(';', 1)[0]!.trim().toLowerCase();
  const fromValue = cpimHeaderValues(msg.headers, 'From')[0];
  const from = fromValue === undefined ? undefined : parseCpimAddress(fromValue);
  const sender: MessageSender | undefined =
    from === undefined
      ? undefined
      : { uri: from.uri, ...(from.name !== undefined ? { name: from.name } : {}), anonymous: from.uri.toLowerCase() === CPIM_ANONYMOUS_URI };
  const dateTime = cpimHeaderValues(msg.headers, 'DateTime')[0];
  return {
    contentType: inner,
    body: msg.body,
    ...(sender !== undefined ? { sender } : {}),
    cpim: { payload: body, to: cpimHeaderValues(msg.headers, 'To'), ...(dateTime !== undefined ? { dateTime } : {}) },
  };
}

/** Wraps a message in CPIM (RFC 3862 2): From the sender (or the anonymous URI), To the session, DateTime now. */
export function wrapCpim(spec: { from: string; anonymous: boolean; to: string; contentType: string; body: Buffer; at: Date }): Buffer {
  const from = spec.anonymous ? formatCpimAddress({ name: 'Anonymous', uri: CPIM_ANONYMOUS_URI }) : formatCpimAddress({ uri: spec.from });
  return encodeCpim({
    headers: [
      { name: 'From', params: [], value: from },
      { name: 'To', params: [], value: formatCpimAddress({ uri: spec.to }) },
      { name: 'DateTime', params: [], value: formatCpimDateTime(spec.at) },
    ],
    mimeHeaders: [{ name: 'Content-Type', value: spec.contentType }],
    body: spec.body,
  });
}
