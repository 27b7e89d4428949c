/**
 * Request-Line = Method SP Request-URI SP SIP-Version and Status-Line =
 * SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 7.1, 7.2, 25.1).
 */
import { DIGIT, checkText, digitsValue, isTokenRange, spanClass } from './chars';
import { checkUri, type UriInfo } from './uri';

export type StartLine =
  | { readonly kind: 'request'; readonly method: string; readonly uri: UriInfo }
  | { readonly kind: 'response'; readonly code: number }
  | { readonly kind: 'error'; readonly status: 400 | 505; readonly reason: string; readonly isResponse: boolean };

const SP = 0x20;
const HTAB = 0x09;
const LAQUOT = 0x3c;
/** SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT; ABNF literals are case-insensitive. */
const SIP_VERSION = /^SIP\/\d+\.\d+$/i;

function error(status: 400 | 505, reason: string, isResponse: boolean): StartLine {
  return { kind: 'error', status, reason, isResponse };
}

/** True when the line starts like a Status-Line (a Method token never holds "/"). */
export function isStatusLine(line: string): boolean {
  return line.length >= 4 && line.slice(0, 4).toUpperCase() === 'SIP/';
}

function version(line: string, from: number, end: number, isResponse: boolean): StartLine | null {
  const v = line.slice(from, end);
  if (!SIP_VERSION.test(v)) return error(400, isResponse ? 'Invalid Status-Line' : 'Invalid SIP-Version', isResponse);
  // RFC 3261 8.2.2 / 21.5.6, RFC 4475 3.1.2.16: only SIP/2.0 is understood.
  if (v.slice(4) !== '2.0') return error(505, 'Version Not Supported', isResponse);
  return null;
}

function statusLine(line: string): StartLine {
  const sp = line.indexOf(' ');
  if (sp < 0) return error(400, 'Invalid Status-Line', true);
  const v = version(line, 0, sp, true);
  if (v) return v;
  // Status-Code = 3DIGIT, classes 1xx-6xx (RFC 3261 7.2, RFC 4475 3.1.2.19)
  const c0 = sp + 1;
  const c1 = spanClass(line, c0, line.length, DIGIT);
  if (c1 - c0 !== 3 || line.charCodeAt(c1) !== SP) return error(400, 'Invalid Status-Code', true);
  const code = digitsValue(line, c0, c1);
  if (code < 100 || code > 699) return error(400, 'Invalid Status-Code', true);
  if (checkText(line, c1 + 1, line.length)) return error(400, 'Invalid Reason-Phrase', true);
  return { kind: 'response', code };
}

function requestLine(line: string): StartLine {
  const last = line.charCodeAt(line.length - 1);
  // RFC 4475 3.1.2.10: no SP after the SIP-Version.
  if (last === SP || last === HTAB) return error(400, 'Trailing whitespace in Request-Line', false);
  if (line.indexOf('\t') >= 0) return error(400, 'Invalid whitespace in Request-Line', false);
  const sp1 = line.indexOf(' ');
  const spN = line.lastIndexOf(' ');
  if (sp1 < 0 || sp1 === spN) return error(400, 'Malformed Request-Line', false);
  // RFC 4475 3.1.2.9: exactly one SP between the elements.
  if (line.charCodeAt(sp1 + 1) === SP || line.charCodeAt(spN - 1) === SP) {
    return error(400, 'Multiple SP in Request-Line', false);
  }
  const v = version(line, spN + 1, line.length, false);
  if (v) return v;
  if (!isTokenRange(line, 0, sp1)) return error(400, 'Invalid method', false);
  const u0 = sp1 + 1;
  // RFC 4475 3.1.2.7 / 3.1.2.8: no angle brackets and no LWS in the Request-URI.
  if (line.charCodeAt(u0) === LAQUOT) return error(400, 'Invalid Request-URI (angle brackets)', false);
  if (line.indexOf(' ', u0) < spN) return error(400, 'Invalid Request-URI (embedded whitespace)', false);
  const uri = checkUri(line, u0, spN);
  if (typeof uri === 'string') return error(400, 'Invalid Request-URI', false);
  // RFC 3261 19.1.5, RFC 4475 3.1.2.11: escaped headers are not allowed here.
  if (uri.hasHeaders) return error(400, 'Invalid Request-URI (escaped headers)', false);
  return { kind: 'request', method: line.slice(0, sp1), uri };
}

export function parseStartLine(line: string): StartLine {
  return isStatusLine(line) ? statusLine(line) : requestLine(line);
}
