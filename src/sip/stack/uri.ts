// Typed SIP URI helpers over the library's grammar (the only other door into `sip`).
import * as sip from 'sip';
import type { SipUri } from '../message/types';



/** Parses a sip:/sips: URI; undefined when it is not one. */
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
    user: raw.user,
    password: raw.password,
    host: raw.host.toLowerCase(),
    port: Number.isFinite(raw.port) && raw.port ? raw.port : undefined,
    params: raw.params,
    headers: raw.headers,
  };
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
