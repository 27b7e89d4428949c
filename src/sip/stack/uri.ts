// Typed SIP URI helpers over the library's grammar (the only other door into `sip`).
import './without-ws'; // before 'sip': see there
import * as sip from 'sip';
import type { SipUri } from '../message/types';

// RFC 3261 25.1: unreserved = alphanum / mark
const UNRESERVED = /^[A-Za-z0-9\-_.!~*'()]$/;

/**
 * RFC 3261 19.1.4: "characters other than those in the reserved set are equivalent to their
 * %-escaped encoding". The user part comes out with those escapes decoded, so sip:%61lice@x is
 * alice everywhere (registrar, reserved names, policies, limits) and no limit or check can be
 * dodged by spelling a name another way (attack finding). Reserved characters stay escaped.
 */
function canonicalUser(user: string | undefined): string | undefined {
  if (user === undefined || !user.includes('%')) return user;
  return user.replace(/%([0-9A-Fa-f]{2})/g, (esc, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(ch) ? ch : esc.toUpperCase();
  });
}

/** Parses a sip:/sips: URI; undefined when it is not one. The user part is canonical (19.1.4). */
export function parseSipUri(text: string): SipUri | undefined {
  let raw;
  try {
    raw = sip.parseUri(text.trim());
  } catch {
    return undefined;
  }
  if (!raw) return undefined;
  const scheme = raw.schema.toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips') return undefined;
  return {
    scheme,
    user: canonicalUser(raw.user),
    password: raw.password,
    host: raw.host.toLowerCase(),
    port: Number.isFinite(raw.port) && raw.port ? raw.port : undefined,
    params: raw.params,
    headers: raw.headers,
  };
}

/** An IPv6 reference without its brackets ([::1] -> ::1). */
export function bareHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export function formatSipUri(u: SipUri): string {
  return sip.stringifyUri({ ...u, schema: u.scheme });
}

/** The address-of-record key "user@host" (RFC 3261 10.3: scheme, user and host; no params). */
export function aorOf(uri: string): string | undefined {
  const u = parseSipUri(uri);
  if (!u || !u.user) return undefined;
  return `${u.user}@${u.host}`;
}

export function newBranch(): string {
  return sip.generateBranch();
}
