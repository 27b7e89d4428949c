import { CR, LF } from './grammar';
import type { MsrpFlag } from './types';

const EMPTY = Buffer.alloc(0);
/** The empty line's CRLF, held (virtually) at the start of every body. Only ever read. */
const FRAMING_CRLF = Buffer.from('\r\n', 'latin1');
/** CRLF + 7 dashes + the longest ident (RFC 4975 section 9: 32 characters). */
const MAX_DELIM = 2 + 7 + 32;
const FLAGS: Record<number, MsrpFlag | undefined> = { 0x24: '$', 0x2b: '+', 0x23: '#' };

/** An end-line found in the scanned bytes: where it starts, and its flag. Undecided: flag null. */
interface Candidate {
  readonly at: number;
  readonly flag: MsrpFlag | null;
}

/**
 * Finds the end of a body: CRLF "-------" transact-id flag CRLF (RFC 4975 sections 7.1 and 9),
 * streaming. Body bytes are handed out as slices of the input as soon as they cannot be part
 * of the end-line; only a tail shorter than one end-line is held back (copied) between feeds.
 * Look-alikes (another id, an id with a longer suffix, a bad flag, no CRLF) are body bytes.
 *
 * Tolerance: the CRLF of the empty line after the headers also counts as the CRLF before the
 * end-line, so "...\r\n\r\n-------id$\r\n" is read as an empty body. Some peers send that for
 * an empty body; a real body cannot start with its own end-line (section 7.1).
 */
export class EndLineScanner {
  private delim: Buffer = EMPTY;
  /** Reused for every frame's delimiter (a scanner arms once per frame); made at the first body. */
  private delimStore: Buffer | undefined;
  private held: Buffer = EMPTY;
  /** Leading bytes of `held` that are framing (the empty line's CRLF), never body. */
  private virtual = 0;

  /** Arms the scanner for a body of the frame with this transaction id. */
  start(transactionId: string): void {
    const text = `\r\n-------${transactionId}`;
    if (text.length <= MAX_DELIM) {
      this.delimStore ??= Buffer.alloc(MAX_DELIM);
      const n = this.delimStore.write(text, 0, 'latin1');
      this.delim = this.delimStore.subarray(0, n);
    } else {
      this.delim = Buffer.from(text, 'latin1');
    }
    this.held = FRAMING_CRLF;
    this.virtual = 2;
  }

  /** Bytes currently held back (bounded by one end-line). */
  get heldBytes(): number {
    return this.held.length - this.virtual;
  }

  /**
   * Scans chunk[off..]. Body bytes go to emit. Returns the offset just after the end-line
   * and its flag when found, or { next: chunk.length, flag: null } when all bytes were taken.
   */
  scan(chunk: Buffer, off: number, emit: (body: Buffer) => void): { next: number; flag: MsrpFlag | null } {
    const endLen = this.delim.length + 3;
    if (this.held === FRAMING_CRLF && chunk.length - off >= endLen - 2) {
      // A fresh body with enough bytes to decide: either it is an empty body's end-line right
      // here, or the framing CRLF is dropped; the same answer as the general path, no copy.
      this.held = EMPTY;
      this.virtual = 0;
      const flag = this.endLineAfterCrlf(chunk, off);
      if (flag !== null) return { next: off + endLen - 2, flag };
    }
    if (this.held.length > 0) {
      const heldLen = this.held.length;
      const extra = Math.min(chunk.length - off, endLen);
      const probe = Buffer.concat([this.held, chunk.subarray(off, off + extra)]);
      const c = this.search(probe, 0);
      if (c.at < heldLen) {
        this.emitHeld(c.at, emit);
        if (c.flag !== null) {
          this.held = EMPTY;
          this.virtual = 0;
          return { next: off + c.at + endLen - heldLen, flag: c.flag };
        }
        // Undecided inside the held tail: only possible when the whole chunk is in the probe.
        this.virtual = Math.max(0, this.virtual - c.at);
        this.held = Buffer.from(probe.subarray(c.at));
        return { next: chunk.length, flag: null };
      }
      this.emitHeld(heldLen, emit);
      this.held = EMPTY;
      this.virtual = 0;
    }
    const c = this.search(chunk, off);
    if (c.at > off) emit(chunk.subarray(off, c.at));
    if (c.flag !== null) return { next: c.at + endLen, flag: c.flag };
    if (c.at < chunk.length) this.held = Buffer.from(chunk.subarray(c.at));
    return { next: chunk.length, flag: null };
  }

  /** The flag when chunk[off..] is "-------" id flag CRLF (the delimiter without its CRLF). */
  private endLineAfterCrlf(chunk: Buffer, off: number): MsrpFlag | null {
    const q = off + this.delim.length - 2;
    if (chunk.compare(this.delim, 2, this.delim.length, off, q) !== 0) return null;
    const flag = FLAGS[chunk[q]];
    return flag !== undefined && chunk[q + 1] === CR && chunk[q + 2] === LF ? flag : null;
  }

  /** Emits held[virtual..end) as body. */
  private emitHeld(end: number, emit: (body: Buffer) => void): void {
    if (end > this.virtual) emit(this.held.subarray(this.virtual, end));
  }

  /**
   * First position >= from where an end-line starts (flag set) or may start once more bytes
   * arrive (flag null); buf.length when no end-line can start in buf[from..].
   */
  private search(buf: Buffer, from: number): Candidate {
    let pos = from;
    for (;;) {
      const i = buf.indexOf(this.delim, pos);
      if (i < 0) return { at: this.partialStart(buf, pos), flag: null };
      const q = i + this.delim.length;
      if (q >= buf.length) return { at: i, flag: null };
      const flag = FLAGS[buf[q]];
      if (flag !== undefined) {
        if (q + 1 >= buf.length) return { at: i, flag: null };
        if (buf[q + 1] === CR) {
          if (q + 2 >= buf.length) return { at: i, flag: null };
          if (buf[q + 2] === LF) return { at: i, flag };
        }
      }
      pos = i + 1;
    }
  }

  /** Start of the longest suffix of buf[from..] that is a proper prefix of the delimiter, else buf.length. */
  private partialStart(buf: Buffer, from: number): number {
    const len = buf.length;
    let k = buf.indexOf(CR, Math.max(from, len - this.delim.length + 1));
    while (k >= 0) {
      if (buf.compare(this.delim, 0, len - k, k, len) === 0) return k;
      k = buf.indexOf(CR, k + 1);
    }
    return len;
  }
}
