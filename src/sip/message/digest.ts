// Digest math both ends of SIP share (RFC 3261 22.4, RFC 8760: SHA-256 and MD5, qop=auth):
// the hash, quoting of parameter values, and the client's answer to a challenge. Pure; the
// server's nonce handling stays in src/core/auth.
import { createHash, randomBytes } from 'node:crypto';
import type { AuthValue } from './types';

export type DigestAlgorithm = 'SHA-256' | 'MD5';

export const digestHash = (alg: DigestAlgorithm, s: string): string => createHash(alg === 'MD5' ? 'md5' : 'sha256').update(s, 'utf8').digest('hex');

/** A parameter value without its quotes and escapes (RFC 3261 25.1 quoted-string). */
export function unquote(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1).replace(/\\(.)/g, '$1');
  return t;
}

export const quoteParam = (s: string): string => `"${s.replace(/["\\]/g, '\\$&')}"`;

/** Client side: the Authorization value answering a challenge (used by the client library and tests). */
export function answerChallenge(
  challenge: AuthValue,
  creds: { user: string; password: string },
  method: string,
  uri: string,
  nc = 1,
): AuthValue {
  const algorithm = ((unquote(challenge.algorithm) ?? 'MD5').toUpperCase() === 'SHA-256' ? 'SHA-256' : 'MD5') as DigestAlgorithm;
  const realm = unquote(challenge.realm) ?? '';
  const nonce = unquote(challenge.nonce) ?? '';
  const ha1 = digestHash(algorithm, `${creds.user}:${realm}:${creds.password}`);
  const ha2 = digestHash(algorithm, `${method}:${uri}`);
  const qops = (unquote(challenge.qop) ?? '').split(',').map((s) => s.trim());
  const out: AuthValue = { scheme: 'Digest', username: quoteParam(creds.user), realm: quoteParam(realm), nonce: quoteParam(nonce), uri: quoteParam(uri), algorithm };
  if (qops.includes('auth')) {
    const cnonce = randomBytes(8).toString('hex');
    const ncs = nc.toString(16).padStart(8, '0');
    out.qop = 'auth';
    out.nc = ncs;
    out.cnonce = quoteParam(cnonce);
    out.response = quoteParam(digestHash(algorithm, `${ha1}:${nonce}:${ncs}:${cnonce}:auth:${ha2}`));
  } else {
    out.response = quoteParam(digestHash(algorithm, `${ha1}:${nonce}:${ha2}`));
  }
  return out;
}
