/**
 * URI and host syntax of RFC 3261 section 19.1 / 25.1: SIP-URI, SIPS-URI and
 * (for any other scheme) absoluteURI. Ranges are [from, end) of a string.
 */
import { isIPv6 } from 'node:net';
import {
  ALPHA,
  DIGIT,
  HEX,
  HNV,
  HOST,
  PARAM,
  PASSWORD,
  SCHEME,
  URIC,
  USER,
  digitsValue,
  has,
  spanClass,
  spanEscaped,
} from './chars';

const AT = 0x40;
const DOT = 0x2e;
const HYPHEN = 0x2d;
const COLON = 0x3a;
const SEMI = 0x3b;
const QMARK = 0x3f;
const EQUAL = 0x3d;
const AMP = 0x26;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

export interface UriInfo {
  /** Lower-cased scheme. */
  readonly scheme: string;
  /** A SIP/SIPS URI with "?" headers (RFC 3261 19.1.1). */
  readonly hasHeaders: boolean;
}

function indexIn(s: string, code: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (s.charCodeAt(i) === code) return i;
  return -1;
}

function ipv6Reference(s: string, from: number, end: number): boolean {
  // IPv6reference = "[" IPv6address "]"; the charset test keeps zone ids out.
  if (end - from < 4 || s.charCodeAt(from) !== LBRACKET || s.charCodeAt(end - 1) !== RBRACKET) return false;
  return ipv6Address(s, from + 1, end - 1);
}

/** IPv6address of RFC 3261 25.1 (no brackets). */
export function ipv6Address(s: string, from: number, end: number): boolean {
  if (end - from < 2 || end - from > 45) return false;
  for (let i = from; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!has(c, HEX) && c !== COLON && c !== DOT) return false;
  }
  return isIPv6(s.slice(from, end));
}

/**
 * host = hostname / IPv4address / IPv6reference (RFC 3261 25.1): labels of
 * alphanum and inner "-", the top label starting with a letter, unless all
 * four labels are decimal octets.
 */
export function checkHost(s: string, from: number, end: number): boolean {
  if (end <= from) return false;
  if (s.charCodeAt(from) === LBRACKET) return ipv6Reference(s, from, end);
  let i = from;
  let labels = 0;
  let numeric = 0;
  let octetsOk = true;
  let top = from;
  while (i < end) {
    let j = i;
    while (j < end && s.charCodeAt(j) !== DOT) {
      if (!has(s.charCodeAt(j), HOST)) return false;
      j++;
    }
    if (j === i) return false;
    if (s.charCodeAt(i) === HYPHEN || s.charCodeAt(j - 1) === HYPHEN) return false;
    labels++;
    if (spanClass(s, i, j, DIGIT) === j) {
      numeric++;
      if (j - i > 3 || digitsValue(s, i, j) > 255) octetsOk = false;
    }
    top = i;
    i = j + 1;
  }
  const trailingDot = s.charCodeAt(end - 1) === DOT;
  if (numeric === labels) return labels === 4 && octetsOk && !trailingDot;
  return has(s.charCodeAt(top), ALPHA);
}

/** hostport = host [ ":" port ]. */
export function checkHostPort(s: string, from: number, end: number): boolean {
  let hostEnd: number;
  if (s.charCodeAt(from) === LBRACKET) {
    const close = indexIn(s, RBRACKET, from, end);
    if (close < 0) return false;
    hostEnd = close + 1;
  } else {
    hostEnd = spanClass(s, from, end, HOST);
  }
  if (!checkHost(s, from, hostEnd)) return false;
  if (hostEnd === end) return true;
  if (s.charCodeAt(hostEnd) !== COLON) return false;
  return checkPort(s, hostEnd + 1, end);
}

export function checkPort(s: string, from: number, end: number): boolean {
  return end > from && end - from <= 5 && spanClass(s, from, end, DIGIT) === end && digitsValue(s, from, end) <= 65535;
}

/** The part after "sip:" / "sips:" (RFC 3261 19.1.1, 25.1 SIP-URI). */
function checkSipUri(s: string, from: number, end: number): string | boolean {
  let hostStart = from;
  const at = indexIn(s, AT, from, end);
  if (at >= 0) {
    // userinfo = ( user / telephone-subscriber ) [ ":" password ] "@"
    if (indexIn(s, AT, at + 1, end) >= 0) return 'unescaped @ in URI';
    const u = spanEscaped(s, from, at, USER);
    if (u === from) return 'empty user part';
    if (u < at) {
      if (s.charCodeAt(u) !== COLON) return 'invalid user part';
      if (spanEscaped(s, u + 1, at, PASSWORD) !== at) return 'invalid password';
    }
    hostStart = at + 1;
  }
  let p: number;
  if (s.charCodeAt(hostStart) === LBRACKET) {
    const close = indexIn(s, RBRACKET, hostStart, end);
    if (close < 0) return 'invalid host';
    p = close + 1;
  } else {
    p = spanClass(s, hostStart, end, HOST);
  }
  if (!checkHost(s, hostStart, p)) return 'invalid host';
  if (p < end && s.charCodeAt(p) === COLON) {
    const d = spanClass(s, p + 1, end, DIGIT);
    if (!checkPort(s, p + 1, d)) return 'invalid port';
    p = d;
  }
  // uri-parameters = *( ";" pname [ "=" pvalue ] ), pname/pvalue = 1*paramchar
  while (p < end && s.charCodeAt(p) === SEMI) {
    const n = spanEscaped(s, p + 1, end, PARAM);
    if (n === p + 1) return 'empty URI parameter';
    p = n;
    if (p < end && s.charCodeAt(p) === EQUAL) {
      const v = spanEscaped(s, p + 1, end, PARAM);
      if (v === p + 1) return 'empty URI parameter value';
      p = v;
    }
  }
  let hasHeaders = false;
  if (p < end && s.charCodeAt(p) === QMARK) {
    // headers = "?" header *( "&" header ), header = hname "=" hvalue
    hasHeaders = true;
    do {
      const n = spanEscaped(s, p + 1, end, HNV);
      if (n === p + 1 || n >= end || s.charCodeAt(n) !== EQUAL) return 'invalid URI header';
      p = spanEscaped(s, n + 1, end, HNV);
    } while (p < end && s.charCodeAt(p) === AMP);
  }
  if (p !== end) return 'invalid character in URI';
  return hasHeaders;
}

/**
 * SIP-URI / SIPS-URI / absoluteURI over [from, end). Returns the scheme and
 * whether it carries headers, or a short problem description.
 */
export function checkUri(s: string, from: number, end: number): UriInfo | string {
  if (from >= end || !has(s.charCodeAt(from), ALPHA)) return 'invalid URI scheme';
  const colon = spanClass(s, from, end, SCHEME);
  if (colon >= end || s.charCodeAt(colon) !== COLON) return 'invalid URI scheme';
  const scheme = s.slice(from, colon).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') {
    const r = checkSipUri(s, colon + 1, end);
    if (typeof r === 'string') return r;
    return { scheme, hasHeaders: r };
  }
  // absoluteURI = scheme ":" ( hier-part / opaque-part ), all uric chars.
  const r = spanEscaped(s, colon + 1, end, URIC);
  if (r === colon + 1 || r !== end) return 'invalid URI';
  return { scheme, hasHeaders: false };
}
