// RFC 3261 8.2.2.2: a request without a To tag whose From tag, Call-ID and CSeq match a
// transaction still pending here, but which arrived with another branch, is the same request
// forked upstream and merged back: the UAS answers it 482. Only INVITEs are tracked (the
// requests this server answers as a UAS that open a dialog), and only while unanswered, so the
// table holds at most the live INVITE server transactions (bounded by sip.maxTransactions).

export class MergedRequests {
  private readonly pending = new Map<string, string>();

  constructor(private readonly limit: number) {}

  /**
   * Records a new request; false when one with the same identity but another branch is pending
   * (a merged request). At the limit nothing more is recorded (the transaction cap refuses first).
   */
  admit(key: string, branch: string): boolean {
    const other = this.pending.get(key);
    if (other !== undefined) return other === branch;
    if (this.pending.size < this.limit) this.pending.set(key, branch);
    return true;
  }

  /** The request got its final answer. */
  answered(key: string, branch: string): void {
    if (this.pending.get(key) === branch) this.pending.delete(key);
  }

  get size(): number {
    return this.pending.size;
  }
}

/** The identity of 8.2.2.2 for an INVITE without a To tag, else undefined. */
export function mergeKey(method: string, toTag: unknown, fromTag: unknown, callId: unknown, cseq: unknown): string | undefined {
  if (method !== 'INVITE' || (toTag !== undefined && toTag !== null && toTag !== '')) return undefined;
  if (typeof fromTag !== 'string' || typeof callId !== 'string' || typeof cseq !== 'number') return undefined;
  return `${callId}\n${fromTag}\n${cseq}`;
}
