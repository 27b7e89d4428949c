/**
 * multipart/mixed SIP bodies (RFC 2046 section 5.1, RFC 5621): the INVITE to the conference
 * factory carries an SDP offer and a resource list in one body (OMA IM 7.1.1.6 steps 6-7,
 * RFC 5366 section 4). Parsing uses multipasta; part bodies stay byte-exact Buffers. Pure:
 * no I/O, no logging. Anything malformed is a MultipartError naming the part, never another throw.
 */
import { randomBytes } from 'node:crypto';
// multipasta loads at the first multipart body (a require on first use): most servers never
// see one (issue 14 item 4)
let multipasta: typeof import('multipasta') | undefined;
const mp = (): typeof import('multipasta') => (multipasta ??= require('multipasta') as typeof import('multipasta'));

export type MultipartErrorCode =
  /** the message's Content-Type is not multipart/* with a usable boundary */
  | 'MULTIPART_CONTENT_TYPE'
  /** body larger than the cap, or more parts than allowed */
  | 'MULTIPART_TOO_LARGE'
  /** delimiters or part headers broken, no closing delimiter, no parts */
  | 'MULTIPART_SYNTAX'
  /** one part is unusable (no or bad Content-Type) */
  | 'MULTIPART_PART';

export class MultipartError extends Error {
  override readonly name = 'MultipartError';

  constructor(
    readonly code: MultipartErrorCode,
    readonly reason: string,
    /** 1-based number of the part at fault */
    readonly part?: number,
  ) {
    super(part === undefined ? reason : `part ${part}: ${reason}`);
  }
}

export interface ContentType {
  /** lower-cased "type/subtype" */
  readonly mediaType: string;
  /** parameter names lower-cased, values unquoted */
  readonly params: ReadonlyMap<string, string>;
}

export interface MimePart {
  /** the part's Content-Type value as received */
  readonly contentType: string;
  /** lower-cased "type/subtype" of contentType */
  readonly mediaType: string;
  /** the part's headers, names lower-cased; a repeated header's values joined with ", " */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface MultipartLimits {
  readonly maxBytes: number;
  readonly maxParts: number;
}

export const DEFAULT_MULTIPART_LIMITS: MultipartLimits = { maxBytes: 256 * 1024, maxParts: 8 };

// RFC 2045 section 5.1: token := 1*<any (US-ASCII) CHAR except SPACE, CTLs, or tspecials>
const TSPECIALS = '()<>@,;:\\"/[]?=';
const isTokenChar = (c: string): boolean => c > ' ' && c < '\x7f' && !TSPECIALS.includes(c);

/**
 * Content-Type = type "/" subtype *(";" parameter), parameter = attribute "=" (token / quoted-string)
 * (RFC 2045 section 5.1, RFC 3261 20.15). Returns the reason when the value breaks the grammar.
 */
export function parseContentType(value: string): ContentType | string {
  let i = 0;
  const n = value.length;
  const ws = (): void => {
    while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
  };
  const token = (): string => {
    const from = i;
    while (i < n && isTokenChar(value[i]!)) i++;
    return value.slice(from, i);
  };
  ws();
  const type = token();
  if (type === '' || value[i] !== '/') return 'not a media type';
  i++;
  const subtype = token();
  if (subtype === '') return 'not a media type';
  const params = new Map<string, string>();
  for (;;) {
    ws();
    if (i === n) break;
    if (value[i] !== ';') return 'unexpected text after the media type';
    i++;
    ws();
    const name = token().toLowerCase();
    if (name === '' || value[i] !== '=') return 'malformed parameter';
    i++;
    let v: string;
    if (value[i] === '"') {
      i++;
      v = '';
      for (;;) {
        if (i >= n) return 'unterminated quoted string';
        const c = value[i]!;
        if (c === '"') break;
        if (c === '\\' && i + 1 < n) {
          v += value[i + 1];
          i += 2;
          continue;
        }
        if (c < ' ' && c !== '\t') return 'control character in a parameter';
        v += c;
        i++;
      }
      i++;
    } else {
      v = token();
      if (v === '') return 'malformed parameter';
    }
    if (params.has(name)) return `parameter ${name} repeated`;
    params.set(name, v);
  }
  return { mediaType: `${type}/${subtype}`.toLowerCase(), params };
}

// RFC 2046 section 5.1.1: boundary := 0*69<bchars> bcharsnospace
const BCHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ";

function checkBoundary(b: string): string | undefined {
  if (b.length < 1 || b.length > 70) return 'boundary must be 1 to 70 characters';
  if (![...b].every((c) => BCHARS.includes(c))) return 'boundary has a character outside RFC 2046 bchars';
  if (b.endsWith(' ')) return 'boundary must not end with a space';
  return undefined;
}

function headerText(v: string | string[]): string {
  return Array.isArray(v) ? v.join(', ') : v;
}

const BAD_HEADERS: Readonly<Record<string, string>> = {
  TooManyHeaders: 'too many headers',
  HeaderTooLarge: 'headers too large',
  InvalidHeaderName: 'malformed header (or no header at all)',
  InvalidHeaderValue: 'malformed header value',
};

/**
 * Splits a multipart body into its parts. `contentType` is the message's Content-Type value
 * (it carries the boundary). Throws MultipartError, never anything else.
 */
export function parseMultipart(contentType: string, body: Uint8Array, limits: MultipartLimits = DEFAULT_MULTIPART_LIMITS): MimePart[] {
  const ct = parseContentType(contentType);
  if (typeof ct === 'string') throw new MultipartError('MULTIPART_CONTENT_TYPE', `Content-Type: ${ct}`);
  if (!ct.mediaType.startsWith('multipart/')) throw new MultipartError('MULTIPART_CONTENT_TYPE', `Content-Type ${ct.mediaType} is not multipart`);
  const boundary = ct.params.get('boundary');
  if (boundary === undefined) throw new MultipartError('MULTIPART_CONTENT_TYPE', 'Content-Type has no boundary parameter');
  const bad = checkBoundary(boundary);
  if (bad !== undefined) throw new MultipartError('MULTIPART_CONTENT_TYPE', bad);
  if (body.byteLength > limits.maxBytes) throw new MultipartError('MULTIPART_TOO_LARGE', `body of ${body.byteLength} bytes exceeds the ${limits.maxBytes}-byte limit`);

  const parts: MimePart[] = [];
  let failure: MultipartError | undefined;
  let done = false;
  const failAt = (code: MultipartErrorCode, reason: string, part?: number): void => {
    failure ??= new MultipartError(code, reason, part);
  };
  const parser = mp().make({
    // Re-quoted so multipasta reads the same boundary we checked.
    headers: { 'content-type': `${ct.mediaType}; boundary="${boundary}"` },
    // Every part arrives whole through onField (no streaming to "files"): bodies are small and capped.
    isFile: () => false,
    maxParts: limits.maxParts,
    maxFieldSize: limits.maxBytes,
    onField(info, value) {
      if (failure !== undefined) return;
      const n = parts.length + 1;
      const raw = info.headers['content-type'];
      if (raw === undefined) return failAt('MULTIPART_PART', 'no Content-Type', n);
      if (Array.isArray(raw)) return failAt('MULTIPART_PART', 'more than one Content-Type', n);
      const pct = parseContentType(raw);
      if (typeof pct === 'string') return failAt('MULTIPART_PART', `Content-Type: ${pct}`, n);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(info.headers)) headers[k] = headerText(v);
      parts.push({ contentType: raw.trim(), mediaType: pct.mediaType, headers, body: Buffer.from(value) });
    },
    onFile() {
      return () => undefined; // unreachable with isFile () => false
    },
    onError(err) {
      const n = parts.length + 1;
      switch (err._tag) {
        case 'ReachedLimit':
          return failAt('MULTIPART_TOO_LARGE', err.limit === 'MaxParts' ? `more than ${limits.maxParts} parts` : `part larger than ${limits.maxBytes} bytes`);
        case 'BadHeaders':
          return failAt('MULTIPART_SYNTAX', BAD_HEADERS[err.error.reason] ?? 'malformed headers', n);
        case 'InvalidDisposition':
          return failAt('MULTIPART_PART', 'form-data Content-Disposition without a name', n);
        case 'EndNotReached':
          return failAt('MULTIPART_SYNTAX', 'no closing delimiter');
        case 'InvalidBoundary':
          return failAt('MULTIPART_CONTENT_TYPE', 'boundary not usable');
      }
    },
    onDone() {
      done = true;
    },
  });
  try {
    parser.write(body);
    parser.end();
  } catch (err) {
    // multipasta decodes some header parameters itself (decodeURIComponent) and may throw.
    failAt('MULTIPART_SYNTAX', `unparsable part headers (${err instanceof Error ? err.name : 'error'})`, parts.length + 1);
  }
  if (failure !== undefined) throw failure;
  if (!done) throw new MultipartError('MULTIPART_SYNTAX', `no closing delimiter --${boundary}--`);
  if (parts.length === 0) throw new MultipartError('MULTIPART_SYNTAX', 'no body parts');
  return parts;
}

export interface PartToBuild {
  readonly contentType: string;
  /** other part headers (e.g. Content-Disposition: recipient-list, RFC 5366 section 4) */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: Uint8Array | string;
}

export interface BuiltMultipart {
  /** the message's Content-Type value, with the boundary */
  readonly contentType: string;
  readonly body: Buffer;
}

function checkHeader(name: string, value: string, n: number): void {
  if (name === '' || ![...name].every(isTokenChar)) throw new MultipartError('MULTIPART_PART', `bad header name ${JSON.stringify(name).slice(0, 40)}`, n);
  if (/[\r\n\0]/.test(value)) throw new MultipartError('MULTIPART_PART', `header ${name} has a line break`, n);
}

/**
 * Builds a multipart/mixed body. The boundary is random unless given; a given boundary that
 * occurs in a part is refused (it would end the part early).
 */
export function buildMultipart(parts: readonly PartToBuild[], boundary: string = `imedge-${randomBytes(12).toString('hex')}`): BuiltMultipart {
  const bad = checkBoundary(boundary);
  if (bad !== undefined) throw new MultipartError('MULTIPART_CONTENT_TYPE', bad);
  if (parts.length === 0) throw new MultipartError('MULTIPART_SYNTAX', 'no body parts');
  const dash = Buffer.from(`--${boundary}`, 'latin1');
  const chunks: Buffer[] = [];
  parts.forEach((p, i) => {
    const n = i + 1;
    const ct = parseContentType(p.contentType);
    if (typeof ct === 'string') throw new MultipartError('MULTIPART_PART', `Content-Type: ${ct}`, n);
    const body = typeof p.body === 'string' ? Buffer.from(p.body, 'utf8') : Buffer.from(p.body.buffer, p.body.byteOffset, p.body.byteLength);
    if (body.includes(dash)) throw new MultipartError('MULTIPART_PART', 'body contains the boundary', n);
    let head = `Content-Type: ${p.contentType}\r\n`;
    for (const [k, v] of Object.entries(p.headers ?? {})) {
      if (k.toLowerCase() === 'content-type') continue;
      checkHeader(k, v, n);
      head += `${k}: ${v}\r\n`;
    }
    checkHeader('Content-Type', p.contentType, n);
    chunks.push(Buffer.from(`${i === 0 ? '' : '\r\n'}--${boundary}\r\n${head}\r\n`, 'utf8'), body);
  });
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'));
  const quoted = [...boundary].every(isTokenChar) ? boundary : `"${boundary}"`;
  return { contentType: `multipart/mixed;boundary=${quoted}`, body: Buffer.concat(chunks) };
}
