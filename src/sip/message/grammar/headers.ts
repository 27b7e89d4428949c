/**
 * One logical (unfolded) header line: name, HCOLON, value, dispatched to the
 * checker of that header (RFC 3261 7.3, 20, 25.1). Facts the message-level
 * rules need (counts, CSeq, Content-Length) are recorded in a HeaderFacts
 * created per message by the caller.
 */
import { checkAddressHeader, type AddressRules } from './address';
import { TOKEN, checkText, spanClass } from './chars';
import {
  checkAccept,
  checkCSeq,
  checkCallId,
  checkContentType,
  checkDate,
  checkTokenList,
  checkTokenWithParams,
  checkWarning,
  digitsField,
  type CSeqValue,
} from './fields';
import { checkVia } from './via';

/** Headers that may appear once only (RFC 3261 7.3.1: not comma-separated lists). */
export type SingleHeader =
  | 'to'
  | 'from'
  | 'call-id'
  | 'cseq'
  | 'max-forwards'
  | 'content-length'
  | 'content-type'
  | 'expires'
  | 'min-expires'
  | 'date'
  | 'reply-to'
  | 'refer-to'
  | 'referred-by';

export interface HeaderFacts {
  vias: number;
  readonly counts: Record<SingleHeader, number>;
  cseq: CSeqValue | null;
  /** Parsed Content-Length, undefined when absent. */
  contentLength: number | undefined;
}

export function newHeaderFacts(): HeaderFacts {
  return {
    vias: 0,
    counts: {
      to: 0,
      from: 0,
      'call-id': 0,
      cseq: 0,
      'max-forwards': 0,
      'content-length': 0,
      'content-type': 0,
      expires: 0,
      'min-expires': 0,
      date: 0,
      'reply-to': 0,
      'refer-to': 0,
      'referred-by': 0,
    },
    cseq: null,
    contentLength: undefined,
  };
}

/** Compact forms (RFC 3261 7.3.3 and the extensions that define one). */
const COMPACT: ReadonlyMap<string, string> = new Map([
  ['i', 'call-id'],
  ['m', 'contact'],
  ['e', 'content-encoding'],
  ['l', 'content-length'],
  ['c', 'content-type'],
  ['f', 'from'],
  ['s', 'subject'],
  ['k', 'supported'],
  ['t', 'to'],
  ['v', 'via'],
  ['o', 'event'],
  ['r', 'refer-to'],
  ['b', 'referred-by'],
  ['u', 'allow-events'],
]);

/** Spelling used in reasons; never echo the received name (it is untrusted). */
const DISPLAY: ReadonlyMap<string, string> = new Map([
  ['via', 'Via'],
  ['to', 'To'],
  ['from', 'From'],
  ['contact', 'Contact'],
  ['route', 'Route'],
  ['record-route', 'Record-Route'],
  ['path', 'Path'],
  ['service-route', 'Service-Route'],
  ['reply-to', 'Reply-To'],
  ['refer-to', 'Refer-To'],
  ['referred-by', 'Referred-By'],
  ['p-asserted-identity', 'P-Asserted-Identity'],
  ['p-preferred-identity', 'P-Preferred-Identity'],
  ['call-id', 'Call-ID'],
  ['cseq', 'CSeq'],
  ['max-forwards', 'Max-Forwards'],
  ['content-length', 'Content-Length'],
  ['expires', 'Expires'],
  ['min-expires', 'Min-Expires'],
  ['date', 'Date'],
  ['content-type', 'Content-Type'],
  ['accept', 'Accept'],
  ['require', 'Require'],
  ['proxy-require', 'Proxy-Require'],
  ['unsupported', 'Unsupported'],
  ['supported', 'Supported'],
  ['allow', 'Allow'],
  ['allow-events', 'Allow-Events'],
  ['event', 'Event'],
  ['subscription-state', 'Subscription-State'],
  ['warning', 'Warning'],
]);

const SINGLE_ADDRESS: AddressRules = { list: false, nameAddrOnly: false, contact: false };
const LIST_ADDRESS: AddressRules = { list: true, nameAddrOnly: false, contact: false };
const ROUTE_LIST: AddressRules = { list: true, nameAddrOnly: true, contact: false };
const CONTACT: AddressRules = { list: true, nameAddrOnly: false, contact: true };

/** Upper bound of a Content-Length we take seriously (a body cannot be larger). */
const MAX_CONTENT_LENGTH = 0x7fffffff;

function isSingle(name: string, facts: HeaderFacts): name is SingleHeader {
  return Object.prototype.hasOwnProperty.call(facts.counts, name);
}

/** Checks the value of the header `name` (canonical, lower case). */
function checkValue(name: string, value: string, facts: HeaderFacts): string | null {
  switch (name) {
    case 'via':
      facts.vias++;
      return checkVia(value);
    case 'to':
    case 'from':
    case 'reply-to':
    case 'refer-to':
    case 'referred-by':
      return checkAddressHeader(value, SINGLE_ADDRESS);
    case 'contact':
      return checkAddressHeader(value, CONTACT);
    case 'route':
    case 'record-route':
    case 'path':
    case 'service-route':
      return checkAddressHeader(value, ROUTE_LIST);
    case 'p-asserted-identity':
    case 'p-preferred-identity':
      return checkAddressHeader(value, LIST_ADDRESS);
    case 'call-id':
      return checkCallId(value);
    case 'cseq': {
      const r = checkCSeq(value);
      if (typeof r === 'string') return r;
      facts.cseq = r;
      return null;
    }
    case 'max-forwards': {
      // Max-Forwards = 1*DIGIT, 0-255 (RFC 3261 20.22, RFC 4475 3.1.2.4)
      const v = digitsField(value);
      return v < 0 ? 'not a number' : v > 255 ? 'out of range' : null;
    }
    case 'content-length': {
      // Content-Length = 1*DIGIT (RFC 3261 20.14, RFC 4475 3.1.2.3)
      const v = digitsField(value);
      if (v < 0) return 'not a number';
      if (v > MAX_CONTENT_LENGTH) return 'too large';
      facts.contentLength = v;
      return null;
    }
    case 'expires':
    case 'min-expires':
      // delta-seconds = 1*DIGIT; overlarge values are clamped by the user
      // (RFC 3261 20.19, RFC 4475 3.1.2.4), only the syntax is checked here.
      return digitsField(value) < 0 ? 'not a number' : null;
    case 'date':
      return checkDate(value);
    case 'content-type':
      return checkContentType(value);
    case 'accept':
      return checkAccept(value);
    case 'require':
    case 'proxy-require':
    case 'unsupported':
    case 'allow-events':
      return checkTokenList(value, false);
    case 'supported':
    case 'allow':
      return checkTokenList(value, true);
    case 'event':
    case 'subscription-state':
      return checkTokenWithParams(value);
    case 'warning':
      return checkWarning(value);
    default:
      // extension-header: header-value = *(TEXT-UTF8char / UTF8-CONT / LWS)
      return checkText(value, 0, value.length);
  }
}

/** Checks one unfolded header line; returns a reason for a 400 or null. */
export function checkHeaderLine(line: string, facts: HeaderFacts): string | null {
  // header-name HCOLON, HCOLON = *( SP / HTAB ) ":" SWS (RFC 3261 25.1)
  const n1 = spanClass(line, 0, line.length, TOKEN);
  let i = n1;
  while (i < line.length && (line.charCodeAt(i) === 0x20 || line.charCodeAt(i) === 0x09)) i++;
  if (n1 === 0 || i >= line.length || line.charCodeAt(i) !== 0x3a) {
    return line.indexOf(':') < 0 ? 'Malformed header line (no colon)' : 'Invalid header name';
  }
  let name = line.slice(0, n1).toLowerCase();
  if (n1 === 1) name = COMPACT.get(name) ?? name;
  if (isSingle(name, facts)) {
    facts.counts[name]++;
    if (facts.counts[name] > 1) return `Duplicate ${DISPLAY.get(name) ?? 'header'} header`;
  }
  const problem = checkValue(name, line.slice(i + 1), facts);
  if (problem === null) return null;
  const display = DISPLAY.get(name);
  return display === undefined ? `Bad header value (${problem})` : `Bad ${display} header (${problem})`;
}
