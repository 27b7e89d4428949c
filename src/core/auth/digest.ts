// HTTP Digest for SIP (RFC 3261 22, RFC 8760: SHA-256 and MD5, qop=auth). Nonces are
// stateless (time + random + HMAC), so a restart or a flood of REGISTERs costs no memory; an
// expired but genuine nonce is answered with stale=true (RFC 7616 3.3).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuthValue } from '../../sip/message/types';
import { digestHash as hash, quoteParam as quote, unquote, type DigestAlgorithm } from '../../sip/message/digest';

export type { DigestAlgorithm } from '../../sip/message/digest';

export interface DigestCredentials {
  md5: string;
  sha256: string;
}

export interface DigestOptions {
  realm: string;
  nonceTtlS: number;
  /** Offered in this order (RFC 8760 2.4: most preferred first). */
  algorithms: readonly DigestAlgorithm[];
  secret?: Buffer;
  now?: () => number;
  /** Nonces whose nonce-count is remembered (replay check); the oldest go first. Default 8192. */
  maxTrackedNonces?: number;
}

export type DigestVerdict =
  | { ok: true; user: string }
  | { ok: false; reason: 'missing' | 'malformed' | 'unknown-user' | 'wrong-realm' | 'bad-nonce' | 'bad-response' | 'unsupported-algorithm' | 'uri-mismatch' }
  | { ok: false; reason: 'stale' | 'replayed'; user: string };

// the digest math both ends share lives with the SIP message code (the client may not reach into core)
export { answerChallenge, unquote } from '../../sip/message/digest';

/** A nonce: issue time and random bytes, then the HMAC's first bytes over them. */
const NONCE_HEAD = 16;
const NONCE_MAC = 16;
/** Nonces of earlier versions: the issue time alone. */
const LEGACY_NONCE_HEAD = 8;

/** Counts below the highest one of a nonce that may still come (once each). */
const REPLAY_WINDOW = 32;

export class DigestAuthenticator {
  private readonly secret: Buffer;
  private readonly now: () => number;
  /**
   * user + "\n" + nonce -> the nonce's issue time, the highest nonce-count accepted (-1: used
   * once without qop) and which of the REPLAY_WINDOW counts below it were accepted (bit i:
   * top - 1 - i), in first-use order.
   */
  private readonly counts = new Map<string, { issued: number; top: number; below: number }>();
  /** Issue time of the newest nonce forgotten for room, or of this start: older unknown nonces are not trusted. */
  private forgottenUpTo: number;
  private readonly maxTracked: number;

  constructor(private readonly opts: DigestOptions) {
    this.secret = opts.secret ?? randomBytes(32);
    this.now = opts.now ?? Date.now;
    this.maxTracked = opts.maxTrackedNonces ?? 8192;
    // Second attack round: the counts are not kept across a restart, but the nonces of the
    // stored secret are; an Authorization used before it could be used once more after it,
    // with the attacker's own Contact (digest covers method and URI only). Nonces issued
    // before this start are treated as forgotten: a genuine answer gets stale=true and a fresh
    // nonce, which a phone answers by itself, never a password prompt.
    this.forgottenUpTo = this.now() - 1;
  }

  /** Nonces whose count is remembered now (bounded by maxTrackedNonces). */
  get trackedNonces(): number {
    return this.counts.size;
  }

  /**
   * RFC 7616 3.4 / RFC 3261 22.4: the nonce-count of a nonce must grow with every request,
   * so a captured Authorization cannot be sent again. Without qop there is no count: such a
   * nonce answers one request. False when this use repeats an earlier one (or cannot be told
   * apart from one, because the nonce was forgotten for room).
   */
  private admitCount(key: string, issued: number, nc: number): boolean {
    const seen = this.counts.get(key);
    if (seen === undefined) {
      if (issued <= this.forgottenUpTo) return false;
      this.remember(key, issued, nc);
      return true;
    }
    // A client pipelining over several connections may be answered out of order (second limits
    // attack: the framer now serves connections in turns): a count below the highest is taken
    // once within a window, as IPsec's anti-replay window does (RFC 4303 3.4.3); a repeat never.
    if (seen.top < 0) return false;
    if (nc > seen.top) {
      const shift = nc - seen.top;
      seen.below = shift >= REPLAY_WINDOW ? 0 : ((seen.below << shift) | (1 << (shift - 1))) >>> 0;
      seen.top = nc;
      return true;
    }
    const back = seen.top - nc;
    if (back === 0 || back > REPLAY_WINDOW) return false;
    const bit = 1 << (back - 1);
    if ((seen.below & bit) !== 0) return false;
    seen.below = (seen.below | bit) >>> 0;
    return true;
  }

  private remember(key: string, issued: number, nc: number): void {
    const expiredBefore = this.now() - this.opts.nonceTtlS * 1000;
    for (const [k, entry] of this.counts) {
      // first-use order is close to issue order: drop the expired ones at the front
      if (this.counts.size < this.maxTracked && entry.issued >= expiredBefore) break;
      this.counts.delete(k);
      if (entry.issued >= expiredBefore) this.forgottenUpTo = Math.max(this.forgottenUpTo, entry.issued);
    }
    this.counts.set(key, { issued, top: nc, below: 0 });
  }

  get realm(): string {
    return this.opts.realm;
  }

  /**
   * RFC 7616 3.3: a nonce is unique per challenge. Issue time (8 bytes), 8 random bytes, and an
   * HMAC of both (16). Attack finding: with the time alone, users challenged in the same
   * millisecond shared a nonce, and one user's nonce-count refused the other's (401 stale).
   */
  newNonce(): string {
    const head = randomBytes(NONCE_HEAD);
    head.writeBigUInt64BE(BigInt(this.now()), 0);
    const mac = createHmac('sha256', this.secret).update(head).digest().subarray(0, NONCE_MAC);
    return Buffer.concat([head, mac]).toString('base64url');
  }

  /** 'fresh', 'stale' (genuine but expired) or 'bad'. */
  checkNonce(nonce: string): 'fresh' | 'stale' | 'bad' {
    const raw = Buffer.from(nonce, 'base64url');
    // the time-only nonces of earlier versions (signed by the same stored secret) are still
    // taken until they expire: an upgrade does not make every phone prompt for its password
    const headLen = raw.length === NONCE_HEAD + NONCE_MAC ? NONCE_HEAD : raw.length === LEGACY_NONCE_HEAD + NONCE_MAC ? LEGACY_NONCE_HEAD : -1;
    // one spelling per nonce: base64url decoding skips stray characters, and a second spelling
    // would get nonce-counts of its own
    if (headLen < 0 || raw.toString('base64url') !== nonce) return 'bad';
    const head = raw.subarray(0, headLen);
    const mac = createHmac('sha256', this.secret).update(head).digest().subarray(0, NONCE_MAC);
    if (!timingSafeEqual(mac, raw.subarray(headLen))) return 'bad';
    const age = this.now() - Number(head.readBigUInt64BE(0));
    if (age < 0 || age > this.opts.nonceTtlS * 1000) return 'stale';
    return 'fresh';
  }

  /** The configured algorithms: any of them is accepted; AuthGate may offer a client fewer. */
  get algorithms(): readonly DigestAlgorithm[] {
    return this.opts.algorithms;
  }

  /** One challenge per algorithm, preferred first (RFC 8760 2.4). */
  challenges(stale = false, algorithms: readonly DigestAlgorithm[] = this.opts.algorithms): AuthValue[] {
    const nonce = this.newNonce();
    return algorithms.map((algorithm) => {
      const c: AuthValue = { scheme: 'Digest', realm: quote(this.opts.realm), qop: '"auth"', algorithm, nonce: quote(nonce) };
      if (stale) c.stale = 'true';
      return c;
    });
  }

  /**
   * Verifies an Authorization value against the stored HA1 of its user (RFC 3261 22.4,
   * RFC 8760 for the algorithm). lookup returns undefined for an unknown user.
   */
  verify(values: AuthValue[] | undefined, method: string, lookup: (user: string) => DigestCredentials | undefined): DigestVerdict {
    const ours = (values ?? []).filter((v) => v.scheme?.toLowerCase() === 'digest' && unquote(v.realm) === this.opts.realm);
    if (ours.length === 0) return { ok: false, reason: (values ?? []).length ? 'wrong-realm' : 'missing' };
    const v = ours[0];
    const user = unquote(v.username);
    const nonce = unquote(v.nonce);
    const uri = unquote(v.uri);
    const response = unquote(v.response)?.toLowerCase();
    if (!user || !nonce || !uri || !response) return { ok: false, reason: 'malformed' };
    const algorithm = (unquote(v.algorithm) ?? 'MD5').toUpperCase() as DigestAlgorithm;
    if (!this.opts.algorithms.includes(algorithm)) return { ok: false, reason: 'unsupported-algorithm' };
    const creds = lookup(user);
    if (!creds) return { ok: false, reason: 'unknown-user' };
    const nonceState = this.checkNonce(nonce);
    if (nonceState === 'bad') return { ok: false, reason: 'bad-nonce' };
    const ha1 = algorithm === 'MD5' ? creds.md5 : creds.sha256;
    const ha2 = hash(algorithm, `${method}:${uri}`);
    const qop = unquote(v.qop);
    let expected: string;
    let count = -1;
    if (qop === 'auth') {
      const nc = unquote(v.nc);
      const cnonce = unquote(v.cnonce);
      if (!nc || !cnonce || !/^[0-9a-fA-F]{8}$/.test(nc)) return { ok: false, reason: 'malformed' };
      count = parseInt(nc, 16);
      expected = hash(algorithm, `${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
    } else if (qop === undefined) {
      expected = hash(algorithm, `${ha1}:${nonce}:${ha2}`);
    } else {
      return { ok: false, reason: 'malformed' };
    }
    if (expected.length !== response.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(response))) {
      return { ok: false, reason: 'bad-response' };
    }
    // A correct answer to an expired nonce: ask again with stale=true, no new password prompt.
    if (nonceState === 'stale') return { ok: false, reason: 'stale', user };
    // a genuine answer seen before: a replay; the client gets a fresh nonce (stale=true)
    // per user and nonce: a user who learns another's nonce (challenges are not secret) cannot
    // spend its counts
    if (!this.admitCount(`${user}\n${nonce}`, issuedAt(nonce), count)) return { ok: false, reason: 'replayed', user };
    return { ok: true, user };
  }
}

/** The issue time (ms) carried in the first 8 bytes of one of our nonces (checked before use). */
function issuedAt(nonce: string): number {
  const raw = Buffer.from(nonce, 'base64url');
  return raw.length >= 8 ? Number(raw.readBigUInt64BE(0)) : 0;
}
