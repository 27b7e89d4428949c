// SIP requests per second per source address (issue 11 item 5): one token bucket per remote
// IP, in a bounded map. The key is the address the socket reports (never a header value), so
// a peer cannot pick it; IPv4-mapped IPv6 (::ffff:a.b.c.d) is folded into the IPv4 form.
//
// Over the limit: a request that came over a connection (TCP/TLS: the source address is
// proven by the handshake) gets 503 + Retry-After each time. A UDP source is answered with
// one 503 per window (so a real client learns why and backs off, RFC 3261 21.5.4 / the
// RFC 7339 idea of telling the sender rather than silently failing), and the rest of its
// flood in that window is dropped: answering every spoofed datagram would make this box a
// reflector for whoever the source address names. What can never be answered (ACKs, responses,
// UDP keep-alives) spends a token too (admitSilent); over the rate it is dropped unanswered.

export type RateVerdict = 'pass' | 'reject' | 'drop';

export interface RateLimitOptions {
  /** Tokens added per second per source; 0 = no limit (the limiter passes everything). */
  perSecond: number;
  /** Bucket size: requests a quiet source may send at once. */
  burst: number;
  /**
   * Sources tracked at once; beyond, the least recently seen is forgotten, and a source first
   * seen while the map is full starts with an empty bucket (see take()).
   */
  maxSources: number;
  /** Addresses never limited (a proxy or SBC in front of imedge). */
  exempt?: readonly string[];
  /** The clock in ms (tests). */
  now?: () => number;
}

export interface RateLimitStats {
  /** Requests answered 503 because their source was over its rate. */
  rejected: number;
  /** UDP requests dropped silently (over the rate, after the window's 503). */
  dropped: number;
  /** Sources forgotten to keep the map within maxSources. */
  evicted: number;
  /** Sources first seen while the map was full, started with an empty bucket. */
  startedEmpty: number;
  /** Sources tracked now. */
  tracked: number;
}

interface Bucket {
  tokens: number;
  at: number;
  /** Start of the window (1 s) in which this source was last found over its rate. */
  windowStart: number;
  /** A 503 already went to this UDP source in the current window. */
  answered: boolean;
}

/** One log line per source per window, from the caller. */
export type OnLimited = (source: string, transport: 'UDP' | 'TCP') => void;

const WINDOW_MS = 1000;

export function canonicalSource(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export class SourceRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly exempt: Set<string>;
  private readonly now: () => number;
  private rejectedCount = 0;
  private droppedCount = 0;
  private evictedCount = 0;
  private startedEmptyCount = 0;

  constructor(private readonly opts: RateLimitOptions, private readonly onLimited: OnLimited = () => undefined) {
    if (!(opts.perSecond >= 0) || !(opts.burst >= 1) || !Number.isInteger(opts.maxSources) || opts.maxSources < 1) {
      throw new RangeError('SIP rate limit: perSecond >= 0, burst >= 1 and maxSources a positive integer');
    }
    this.exempt = new Set((opts.exempt ?? []).map(canonicalSource));
    this.now = opts.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.opts.perSecond > 0;
  }

  /** The verdict for one request from `address` over `transport`; takes a token when it passes. */
  take(address: string, transport: 'UDP' | 'TCP'): RateVerdict {
    if (!this.enabled) return 'pass';
    const source = canonicalSource(address);
    if (this.exempt.has(source)) return 'pass';
    const now = this.now();
    const b = this.bucketOf(source, now);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 'pass';
    }
    if (now - b.windowStart >= WINDOW_MS) {
      b.windowStart = now;
      b.answered = false;
      this.onLimited(source, transport);
    }
    if (transport === 'UDP') {
      if (b.answered) {
        this.droppedCount++;
        return 'drop';
      }
      b.answered = true;
    }
    this.rejectedCount++;
    return 'reject';
  }

  /**
   * A message that is never answered spends a token of its source's bucket like a request; over
   * the rate it is dropped, never answered (counted as dropped). Attack finding (F8): STUN
   * Binding requests (and CRLF pings) on the UDP port were answered without limit, a reflector
   * toward any forged source. Attack finding (F9): a flood of ACKs and stray responses was never
   * limited and took a core; a 2xx's ACK at any normal rate still passes (the bucket is per
   * source and generous), exempt addresses pass always.
   */
  admitSilent(address: string): boolean {
    if (!this.enabled) return true;
    const source = canonicalSource(address);
    if (this.exempt.has(source)) return true;
    const b = this.bucketOf(source, this.now());
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    this.droppedCount++;
    return false;
  }

  /** The source's bucket, refilled to now and made the most recently seen (created if new). */
  private bucketOf(source: string, now: number): Bucket {
    let b = this.buckets.get(source);
    if (b === undefined) {
      b = { tokens: this.opts.burst, at: now, windowStart: -Infinity, answered: false };
      if (this.buckets.size >= this.opts.maxSources) {
        this.evictOldest();
        // Attack finding (F6): rotating more addresses than maxSources brought each one back
        // forgotten, with a full burst: no limit at all. A source first seen while the map is
        // full earns its tokens at the rate instead (a real client's first request may get
        // one 503 with Retry-After then; it is counted).
        b.tokens = 0;
        this.startedEmptyCount++;
      }
    } else {
      // least recently seen first: re-inserting moves it to the end of the map's order
      this.buckets.delete(source);
      b.tokens = Math.min(this.opts.burst, b.tokens + ((now - b.at) / 1000) * this.opts.perSecond);
      b.at = now;
    }
    this.buckets.set(source, b);
    return b;
  }

  /** Seconds until the source has a token again (at least 1), for Retry-After. */
  retryAfterS(): number {
    return this.opts.perSecond > 0 ? Math.max(1, Math.ceil(1 / this.opts.perSecond)) : 1;
  }

  stats(): RateLimitStats {
    return { rejected: this.rejectedCount, dropped: this.droppedCount, evicted: this.evictedCount, startedEmpty: this.startedEmptyCount, tracked: this.buckets.size };
  }

  /**
   * The least recently seen source goes. Its bucket has refilled the longest, so forgetting it
   * changes least; a source flooding now is always the most recently seen and stays tracked.
   */
  private evictOldest(): void {
    const oldest = this.buckets.keys().next();
    if (oldest.done === true) return;
    this.buckets.delete(oldest.value);
    this.evictedCount++;
  }
}

/**
 * What a UDP datagram is, from its first bytes, before any parse: a response ("SIP/"), an ACK,
 * or a request (anything else that is not a keep-alive; those are taken out before this).
 */
export function datagramKind(data: Buffer): 'response' | 'ack' | 'request' {
  // RFC 3261 7.5: CRLFs before a start line are ignored
  let i = 0;
  while (i < data.length && i < 8 && (data[i] === 0x0d || data[i] === 0x0a)) i++;
  const head = data.subarray(i, i + 4).toString('latin1');
  if (head === 'SIP/') return 'response';
  if (head === 'ACK ') return 'ack';
  return 'request';
}
