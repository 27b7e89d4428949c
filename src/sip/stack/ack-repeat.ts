// RFC 3261 13.2.2.4: the UAC core ACKs every 2xx to its INVITE, retransmissions included. The
// ACK travels outside any transaction (SipStack.sendAck); this remembers each one sent for
// 64*T1, as long as RFC 6026's Timer M lets a retransmitted 2xx reach the UAC, so the stack
// answers a retransmission with the same ACK whoever built the first. The INVITE transaction
// itself then keeps nothing of its TU after the final response (issue 8: held sessions'
// transactions cost ~12 KB each for 32 s).
import type * as sip from 'sip';

/** An ACK as sent: rebuilt from the same message with the same top Via (same branch). */
export interface SentAck<M> {
  readonly ack: M;
  readonly via: unknown;
  readonly targets: sip.RawFlow[] | undefined;
}

interface Entry<M> extends SentAck<M> {
  readonly until: number;
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

export class AckMemory<M> {
  // insertion order is expiry order (one lifetime for all): the oldest are pruned from the head
  private readonly sent = new Map<string, Entry<M>>();
  /** ACKs dropped before their 64*T1 because `max` were held. */
  evicted = 0;

  constructor(
    private readonly lifetimeMs: number,
    private readonly max: number,
    private readonly now: () => number = Date.now,
    /** Called for each ACK dropped early (the bound reached): a counted event. */
    private readonly onEvicted: () => void = () => undefined,
  ) {}

  /** `raw` is the library message of the ACK just sent (its top Via now carries the branch). */
  remember(raw: sip.RawMessage, ack: M, targets: sip.RawFlow[] | undefined): void {
    const key = ackKeyOf(raw);
    const via = (raw.headers.via as unknown[] | undefined)?.[0];
    if (key === undefined || via === undefined || this.max <= 0) return;
    const t = this.now();
    this.prune(t);
    this.sent.delete(key);
    this.sent.set(key, { ack, via, targets, until: t + this.lifetimeMs });
    for (const k of this.sent.keys()) {
      if (this.sent.size <= this.max) break;
      this.sent.delete(k);
      this.evicted++;
      this.onEvicted();
    }
  }

  /** The ACK sent for this 2xx, if it is still remembered. */
  forResponse(rs: sip.RawMessage): SentAck<M> | undefined {
    const key = ackKeyOf(rs);
    if (key === undefined) return undefined;
    const e = this.sent.get(key);
    if (e === undefined) return undefined;
    if (e.until <= this.now()) {
      this.sent.delete(key);
      return undefined;
    }
    return e;
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
}
