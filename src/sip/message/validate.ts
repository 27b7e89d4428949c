/**
 * Strict validation of a received SIP message head (start line + header
 * lines, latin1 string, CRLF separated, no final empty line) and its body
 * length, after the lenient `sip` package parsed it. Pure: no I/O, no logging.
 *
 * Rules: RFC 3261 section 25 grammar, 8.2.2 (request checks), 18.3
 * (framing), and the invalid messages of RFC 4475 section 3.1.2.
 */
import { checkHeaderLine, newHeaderFacts, type HeaderFacts, type SingleHeader } from './grammar/headers';
import { isStatusLine, parseStartLine } from './grammar/startline';

export type SipTransportKind = 'UDP' | 'TCP';

export interface ValidateOptions {
  /**
   * 'UDP' (default): a body longer than Content-Length is truncated by the
   * caller, a shorter one is an error. 'TCP': the stream framing already used
   * Content-Length, so it must be present and is not compared (RFC 3261 18.3).
   */
  readonly transport?: SipTransportKind;
  /** Request-URI schemes this server understands; others get 416. Default: sip, sips. */
  readonly supportedSchemes?: readonly string[];
  /** Longest head accepted, in bytes; longer gets 513. Default DEFAULT_MAX_HEAD_LENGTH. */
  readonly maxHeadLength?: number;
}

export type ValidationFailure = {
  readonly ok: false;
  /** What a server answers to a request; a response is dropped instead. */
  readonly status: 400 | 505 | 513 | 416;
  /** Short ASCII text naming the problem, safe as a Reason-Phrase (never echoes input). */
  readonly reason: string;
  readonly isResponse: boolean;
};

export type ValidationResult = { readonly ok: true } | ValidationFailure;

/** The largest UDP datagram payload: no sane head is longer. */
export const DEFAULT_MAX_HEAD_LENGTH = 65507;
const DEFAULT_SCHEMES: readonly string[] = ['sip', 'sips'];
const OK: ValidationResult = { ok: true };
const SP = 0x20;
const HTAB = 0x09;
const BACKSLASH = 0x5c;

/** Headers every request and response carries (RFC 3261 8.1.1, 8.2.6.2), in reporting order. */
const MANDATORY: ReadonlyArray<[SingleHeader | 'via', string]> = [
  ['via', 'Via'],
  ['from', 'From'],
  ['to', 'To'],
  ['call-id', 'Call-ID'],
  ['cseq', 'CSeq'],
];

function fail(status: 400 | 505 | 513 | 416, reason: string, isResponse: boolean): ValidationFailure {
  return { ok: false, status, reason, isResponse };
}

/**
 * Content-Length against the received body (RFC 3261 18.3, RFC 4475 3.1.2.2).
 * contentLength is undefined when the header is absent. Returns a reason or null.
 */
export function checkContentLength(
  contentLength: number | undefined,
  bodyLength: number,
  transport: SipTransportKind,
): string | null {
  if (contentLength === undefined) {
    // Stream transports MUST carry Content-Length; a datagram body runs to its end.
    return transport === 'TCP' ? 'Missing Content-Length on stream transport' : null;
  }
  if (transport === 'TCP') return null;
  return bodyLength < contentLength ? 'Bad Content-Length (larger than body)' : null;
}

/**
 * A raw NUL is only legal as the escaped char of a quoted-pair (RFC 3261
 * 25.1, RFC 4475 3.1.1.2); one not after a backslash is rejected at once,
 * the others are left to the quoted-string grammar.
 */
function hasBareNul(head: string): boolean {
  for (let z = head.indexOf('\0'); z >= 0; z = head.indexOf('\0', z + 1)) {
    if (z === 0 || head.charCodeAt(z - 1) !== BACKSLASH) return true;
  }
  return false;
}

function missingOrMismatch(facts: HeaderFacts, method: string | null): string | null {
  for (const [key, display] of MANDATORY) {
    const count = key === 'via' ? facts.vias : facts.counts[key];
    if (count === 0) return `Missing ${display} header`;
  }
  // RFC 3261 8.1.1.5, RFC 4475 3.1.2.17-18: the CSeq method equals the request method.
  if (method !== null && facts.cseq !== null && facts.cseq.method !== method) {
    return 'CSeq method does not match request method';
  }
  return null;
}

/**
 * Single pass over the header lines (lines[0] is the start line). A line
 * starting with SP/HTAB continues the previous header (RFC 3261 7.3.1): its
 * CRLF is dropped and its LWS kept, so checkers see LWS as plain SP/HTAB.
 */
function checkHeaderBlock(lines: readonly string[], facts: HeaderFacts): string | null {
  let current: string | null = null;
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n];
    if (line === '') return 'Empty line inside header block';
    const c0 = line.charCodeAt(0);
    if (c0 === SP || c0 === HTAB) {
      if (current === null) return 'Invalid line folding';
      current += line;
      continue;
    }
    if (current !== null) {
      const problem = checkHeaderLine(current, facts);
      if (problem) return problem;
    }
    current = line;
  }
  return current === null ? null : checkHeaderLine(current, facts);
}

/**
 * Validates one received message. rawHead: start line + header lines as a
 * latin1 string (one char per byte), CRLF separated, without the empty line;
 * bodyLength: bytes received after the empty line. Checks run in the order
 * size (513), start line (400/505), header lines, mandatory headers and CSeq
 * method, Content-Length framing (400), then the Request-URI scheme (416).
 */
export function validateSipMessage(rawHead: string, bodyLength: number, options: ValidateOptions = {}): ValidationResult {
  if (!Number.isSafeInteger(bodyLength) || bodyLength < 0) throw new RangeError('bodyLength must be a byte count');
  const transport = options.transport ?? 'UDP';
  // RFC 3261 7.5: CRLFs before the start line are ignored.
  let first = 0;
  while (rawHead.startsWith('\r\n', first)) first += 2;
  if (first === rawHead.length) return fail(400, 'Empty message', false);
  const guessResponse = isStatusLine(rawHead.slice(first, first + 4));
  // Size first: nothing below allocates in proportion to an oversized head.
  if (rawHead.length > (options.maxHeadLength ?? DEFAULT_MAX_HEAD_LENGTH)) {
    return fail(513, 'Message Too Large', guessResponse);
  }
  if (hasBareNul(rawHead)) return fail(400, 'NUL byte in message head', guessResponse);

  const lines = rawHead.slice(first).split('\r\n');
  const start = parseStartLine(lines[0]);
  if (start.kind === 'error') return fail(start.status, start.reason, start.isResponse);
  const isResponse = start.kind === 'response';

  const facts = newHeaderFacts();
  const problem = checkHeaderBlock(lines, facts);
  if (problem) return fail(400, problem, isResponse);
  const semantic = missingOrMismatch(facts, start.kind === 'request' ? start.method : null);
  if (semantic) return fail(400, semantic, isResponse);
  const framing = checkContentLength(facts.contentLength, bodyLength, transport);
  if (framing) return fail(400, framing, isResponse);

  // RFC 3261 8.2.2.1, RFC 4475 3.3.2-3.3.3: an unknown Request-URI scheme gets 416.
  if (start.kind === 'request') {
    const schemes = options.supportedSchemes ?? DEFAULT_SCHEMES;
    if (!schemes.some((x) => x.toLowerCase() === start.uri.scheme)) return fail(416, 'Unsupported URI Scheme', false);
  }
  return OK;
}
