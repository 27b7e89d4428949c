import { DEFAULT_MSRP_PORT, isToken } from './grammar';

export interface MsrpUriParam {
  readonly name: string;
  readonly value: string | undefined;
}

/** msrp-scheme "://" authority ["/" session-id] ";" transport *(";" URI-parameter) (RFC 4975 section 6). */
export interface MsrpUri {
  /** Lower-cased (schemes compare case-insensitively). */
  readonly scheme: 'msrp' | 'msrps';
  /** userinfo without the "@", as written. */
  readonly user: string | undefined;
  /** Host as written; an IPv6 literal keeps its brackets. */
  readonly host: string;
  readonly port: number | undefined;
  readonly sessionId: string | undefined;
  /** As written, e.g. "tcp". */
  readonly transport: string;
  readonly params: readonly MsrpUriParam[];
}

const SCHEME = /^(msrps?):\/\//i;
const NO_PARAMS: readonly MsrpUriParam[] = Object.freeze([]);
const USERINFO = /^[A-Za-z0-9\-._~%!$&'()*+,;=:]*$/;
const REG_NAME = /^[A-Za-z0-9\-._~%!$&'()*+,=]+$/;
const IPV6_LITERAL = /^\[[0-9A-Fa-f:.]+\]$/;
const PORT = /^[0-9]{1,5}$/;
// section 6: session-id = 1*( unreserved / "+" / "=" / "/" )
const SESSION_ID = /^[A-Za-z0-9\-._~+=/]+$/;
// section 6: transport = "tcp" / 1*ALPHANUM
const TRANSPORT = /^[A-Za-z0-9]+$/;

/** Parses one MSRP URI (RFC 4975 section 6); undefined when it breaks the grammar. */
export function parseMsrpUri(text: string): MsrpUri | undefined {
  const m = SCHEME.exec(text);
  if (m === null) return undefined;
  // the literals, not a fresh lower-cased copy per URI: a held session keeps six parsed URIs
  const scheme = m[1].length === 4 ? 'msrp' : 'msrps';
  const rest = text.slice(m[0].length);
  let authEnd = 0;
  while (authEnd < rest.length && rest[authEnd] !== '/' && rest[authEnd] !== ';') authEnd++;
  const authority = rest.slice(0, authEnd);
  const at = authority.lastIndexOf('@');
  const user = at >= 0 ? authority.slice(0, at) : undefined;
  if (user !== undefined && !USERINFO.test(user)) return undefined;
  const hostPort = splitHostPort(authority.slice(at + 1));
  if (hostPort === undefined) return undefined;

  let pos = authEnd;
  let sessionId: string | undefined;
  if (rest[pos] === '/') {
    const semi = rest.indexOf(';', pos);
    sessionId = rest.slice(pos + 1, semi < 0 ? rest.length : semi);
    if (!SESSION_ID.test(sessionId)) return undefined;
    pos = semi < 0 ? rest.length : semi;
  }
  // section 6: the transport parameter is mandatory
  if (rest[pos] !== ';') return undefined;
  const parts = rest.slice(pos + 1).split(';');
  const transport = parts[0] === 'tcp' ? 'tcp' : parts[0];
  if (!TRANSPORT.test(transport)) return undefined;
  if (parts.length === 1) return { scheme, user, host: hostPort.host, port: hostPort.port, sessionId, transport, params: NO_PARAMS };
  const params: MsrpUriParam[] = [];
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    const name = eq < 0 ? p : p.slice(0, eq);
    const value = eq < 0 ? undefined : p.slice(eq + 1);
    if (!isToken(name) || (value !== undefined && !isToken(value))) return undefined;
    params.push({ name, value });
  }
  return { scheme, user, host: hostPort.host, port: hostPort.port, sessionId, transport, params };
}

function splitHostPort(s: string): { host: string; port: number | undefined } | undefined {
  let host: string;
  let after: string;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return undefined;
    host = s.slice(0, close + 1);
    after = s.slice(close + 1);
    if (!IPV6_LITERAL.test(host) || normalizeIpv6(host.slice(1, -1)) === undefined) return undefined;
  } else {
    const colon = s.indexOf(':');
    host = colon < 0 ? s : s.slice(0, colon);
    after = colon < 0 ? '' : s.slice(colon);
    if (!REG_NAME.test(host)) return undefined;
  }
  if (after === '') return { host, port: undefined };
  if (after[0] !== ':' || !PORT.test(after.slice(1))) return undefined;
  const port = Number(after.slice(1));
  return port <= 65535 ? { host, port } : undefined;
}

/** Formats a URI; throws RangeError on parts the grammar forbids (a path is wire data). */
export function formatMsrpUri(uri: MsrpUri): string {
  const user = uri.user === undefined ? '' : `${uri.user}@`;
  const port = uri.port === undefined ? '' : `:${uri.port}`;
  const session = uri.sessionId === undefined ? '' : `/${uri.sessionId}`;
  const params = uri.params.map((p) => (p.value === undefined ? `;${p.name}` : `;${p.name}=${p.value}`)).join('');
  const text = `${uri.scheme}://${user}${uri.host}${port}${session};${uri.transport}${params}`;
  if (parseMsrpUri(text) === undefined) throw new RangeError(`not a valid MSRP URI: ${text}`);
  return text;
}

/** The port to connect to: the explicit one, else 2855 (RFC 4975 section 6). */
export function msrpUriPort(uri: MsrpUri): number {
  return uri.port ?? DEFAULT_MSRP_PORT;
}

/**
 * URI equality per RFC 4975 section 6.1: scheme case-insensitive; host compared after
 * percent-decoding unreserved characters, case-insensitively (IP addresses by value);
 * an explicit port never equals an absent one; session-id case-sensitive, and absent never
 * equals present; transport case-insensitive; userinfo and other parameters ignored.
 */
export function msrpUriEquals(a: MsrpUri, b: MsrpUri): boolean {
  return (
    a.scheme.toLowerCase() === b.scheme.toLowerCase() &&
    normalizeHost(a.host) === normalizeHost(b.host) &&
    a.port === b.port &&
    a.sessionId === b.sessionId &&
    a.transport.toLowerCase() === b.transport.toLowerCase()
  );
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

function normalizeHost(host: string): string {
  if (host.startsWith('[')) return `[${normalizeIpv6(host.slice(1, -1)) ?? host}]`;
  const decoded = host.replace(/%([0-9A-Fa-f]{2})/g, (all, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(c) ? c : all;
  });
  const v4 = /^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$/.exec(decoded);
  if (v4 !== null && v4.slice(1).every((o) => Number(o) <= 255)) return v4.slice(1).map(Number).join('.');
  return decoded.toLowerCase();
}

/** Canonical form of an IPv6 address (eight lower-case hex groups), undefined if invalid. */
function normalizeIpv6(addr: string): string | undefined {
  let s = addr;
  const v4Groups: string[] = [];
  if (s.includes('.')) {
    // a dotted IPv4 tail stands for the last two groups
    const colon = s.lastIndexOf(':');
    const octets = s.slice(colon + 1).split('.');
    if (colon < 0 || octets.length !== 4 || !octets.every((o) => /^[0-9]{1,3}$/.test(o) && Number(o) <= 255)) {
      return undefined;
    }
    const n = octets.map(Number);
    v4Groups.push(((n[0] << 8) | n[1]).toString(16), ((n[2] << 8) | n[3]).toString(16));
    s = s.slice(0, colon + 1);
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const left = halves[0] === '' ? [] : halves[0].split(':');
  const right = halves.length === 2 && halves[1] !== '' ? halves[1].split(':') : [];
  const groups = [...left, ...right];
  if (!groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return undefined;
  const missing = 8 - groups.length - v4Groups.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const zeros = new Array<string>(halves.length === 2 ? missing : 0).fill('0');
  return [...left, ...zeros, ...right, ...v4Groups].map((g) => parseInt(g, 16).toString(16)).join(':');
}

/** To-Path / From-Path value: MSRP-URI *(SP MSRP-URI) (RFC 4975 section 9). */
export function parsePath(value: string): MsrpUri[] | undefined {
  const items = value.split(/[ \t]+/).filter((s) => s !== '');
  if (items.length === 0) return undefined;
  // sized once: a pushed-to array keeps room for 17 (a held session keeps several paths)
  const uris = new Array<MsrpUri>(items.length);
  for (let i = 0; i < items.length; i++) {
    const uri = parseMsrpUri(items[i]);
    if (uri === undefined) return undefined;
    uris[i] = uri;
  }
  return uris;
}

/** Formats a path list; strings are taken as already-formatted URIs and checked. */
export function formatPath(uris: readonly (MsrpUri | string)[]): string {
  if (uris.length === 0) throw new RangeError('an MSRP path holds at least one URI');
  return uris
    .map((u) => {
      if (typeof u !== 'string') return formatMsrpUri(u);
      if (parseMsrpUri(u) === undefined) throw new RangeError(`not a valid MSRP URI: ${u}`);
      return u;
    })
    .join(' ');
}
