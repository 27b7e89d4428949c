/**
 * RFC 4975 section 9 character classes and small validators shared by the codec.
 * Header lines are short, so these work on strings; bodies never come here.
 */

export const CR = 0x0d;
export const LF = 0x0a;
export const CRLF = Buffer.from('\r\n', 'latin1');
/** "MSRP" SP: every start line begins with these 5 bytes (section 9, pMSRP SP). */
export const MSRP_SP = Buffer.from('MSRP ', 'latin1');
/** Seven hyphens open an end-line (section 9, end-line). */
export const END_LINE_DASHES = '-------';

/** RFC 4975 default MSRP port (section 6, IANA registration), used when a URI has none. */
export const DEFAULT_MSRP_PORT = 2855;

// section 9: ident = ALPHANUM 3*31ident-char ; ident-char = ALPHANUM / "." / "-" / "+" / "%" / "="
const IDENT = /^[A-Za-z0-9][A-Za-z0-9.\-+%=]{3,31}$/;
// section 9: other-method = 1*UPALPHA
const METHOD = /^[A-Z]+$/;
// section 9: token
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z|~]+$/;
// section 9: hname = ALPHA *token
const HNAME = /^[A-Za-z][!#$%&'*+\-.0-9A-Z^_`a-z|~]*$/;
// section 9: utf8text = *(HTAB / %x20-7E / UTF8-NONASCII): anything but controls (DEL included)
const NOT_UTF8TEXT = /[\x00-\x08\x0a-\x1f\x7f]/;
const NOT_UTF8TEXT_ALL = /[\x00-\x08\x0a-\x1f\x7f]/g;

/** transact-id and Message-ID grammar (RFC 4975 section 9, ident). */
export function isIdent(s: string): boolean {
  return IDENT.test(s);
}

/** Request method grammar (RFC 4975 section 9, method / other-method). */
export function isMethod(s: string): boolean {
  return METHOD.test(s);
}

export function isToken(s: string): boolean {
  return TOKEN.test(s);
}

export function isHeaderName(s: string): boolean {
  return HNAME.test(s);
}

/** True when s may appear as a header value or a comment (RFC 4975 section 9, utf8text). */
export function isUtf8Text(s: string): boolean {
  return !NOT_UTF8TEXT.test(s);
}

/**
 * Peer text quoted inside a reason this side writes (the comment of a 400): controls become
 * "?" and it is cut to max characters, so the comment stays utf8text and small.
 */
export function quoteWireText(s: string, max = 40): string {
  const cut = s.length > max ? `${s.slice(0, max)}...` : s;
  return cut.replace(NOT_UTF8TEXT_ALL, '?');
}
