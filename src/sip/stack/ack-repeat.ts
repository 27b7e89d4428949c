// RFC 3261 13.2.2.4: the UAC core generates an ACK for every 2xx to its INVITE, retransmissions
// included. The ACK travels outside any transaction (SipStack.sendAck); this remembers what
// each one was built from for 64*T1, as long as RFC 6026's Timer M lets a retransmitted 2xx
// reach the UAC, so the stack ACKs a copy of the 2xx whoever built the first ACK. The INVITE
// transaction then keeps nothing of its TU after the final response (issue 8: held sessions'
// transactions cost ~12 KB each for 32 s).
import type * as sip from 'sip';

/**
 * Copies of one 2xx ACKed at most this often. A UAS resends its 2xx at T1, doubling to T2,
 * for 64*T1 (13.3.1.4): 10 copies with the default timers. A peer that answers every ACK
 * with its 2xx again would otherwise keep the two ends in a loop at network speed.
 */
export const MAX_REPEATS_PER_ACK = 16;

/** An ACK as sent: the request it was built from and where it went. */
export interface SentAck<M> {
  readonly ack: M;
  readonly targets: sip.RawFlow[] | undefined;
}

interface Entry<M> extends SentAck<M> {
  readonly until: number;
  repeats: number;
}

/** Call-ID, CSeq number and To tag: one 2xx and the ACK that answers it. Undefined if any is missing. */
export function ackKeyOf(m: sip.RawMessage): string | undefined {
  const h = m.headers as Record<string, unknown>;
  const callId = h['call-id'];
  const cseq = h.cseq as { seq?: unknown } | undefined;
  const to = h.to as { params?: Record<string, unknown> } | undefined;
  const tag = to?.params?.tag;
  if (typeof callId !== 'string' || typeof tag !== 'string' || cseq === undefined || typeof cseq !== 'object') return undefined;
  const seq = Number(cseq.seq);
  if (!Number.isInteger(seq)) return undefined;
  return `${callId}\n${seq}\n${tag}`;
}

export type RepeatVerdict<M> = { readonly kind: 'repeat'; readonly sent: SentAck<M> } | { readonly kind: 'unknown' } | { readonly kind: 'withheld' };

export class AckMemory<M> {
  // insertion order is expiry order (one lifetime for all): the oldest are pruned from the head
  private readonly sent = new Map<string, Entry<M>>();
  /** ACKs dropped before their 64*T1 because `max` were held. */
  evicted = 0;
  /** Set while something is kept: forgets the oldest at its expiry, so an idle server keeps nothing. */
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly lifetimeMs: number,
    private readonly max: number,
    private readonly now: () => number = Date.now,
    /** Called for each ACK dropped early (the bound reached): a counted event. */
    private readonly onEvicted: () => void = () => undefined,
  ) {}

  /** `raw` is the library message of the ACK just sent (its key: Call-ID, CSeq, To tag). */
  remember(raw: sip.RawMessage, ack: M, targets: sip.RawFlow[] | undefined): void {
    const key = ackKeyOf(raw);
    if (key === undefined || this.max <= 0) return;
    const t = this.now();
    this.prune(t);
    this.sent.delete(key);
    this.sent.set(key, { ack, targets, until: t + this.lifetimeMs, repeats: 0 });
    for (const k of this.sent.keys()) {
      if (this.sent.size <= this.max) break;
      this.sent.delete(k);
      this.evicted++;
      this.onEvicted();
    }
    this.armTimer(t);
  }

  /** No more timer (the stack closes). */
  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.sent.clear();
  }

  /** What to do with a copy of a 2xx: ACK it again (counted), nothing known, or past the cap. */
  forResponse(rs: sip.RawMessage): RepeatVerdict<M> {
    const key = ackKeyOf(rs);
    const e = key === undefined ? undefined : this.sent.get(key);
    if (key === undefined || e === undefined) return { kind: 'unknown' };
    if (e.until <= this.now()) {
      this.sent.delete(key);
      return { kind: 'unknown' };
    }
    if (e.repeats >= MAX_REPEATS_PER_ACK) return { kind: 'withheld' };
    e.repeats++;
    return { kind: 'repeat', sent: e };
  }

  get size(): number {
    return this.sent.size;
  }

  private prune(t: number): void {
    for (const [k, e] of this.sent) {
      if (e.until > t) break;
      this.sent.delete(k);
    }
  }

  // Attack finding F1 (issue 8): pruned only when the next ACK was remembered, an idle server
  // kept up to `max` ACKs (each up to two header caps: its key and its To tag) indefinitely.
  private armTimer(t: number): void {
    if (this.timer !== undefined) return;
    const head = this.sent.values().next();
    if (head.done === true) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = this.now();
      this.prune(now);
      this.armTimer(now);
    }, Math.max(0, head.value.until - t));
    this.timer.unref();
  }
}
