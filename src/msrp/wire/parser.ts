import { EndLineScanner } from './end-line-scanner';
import { CR, LF, MSRP_SP } from './grammar';
import { parseHeaderLine } from './header-line';
import { parseStartLine } from './start-line';
import type {
  MsrpFlag,
  MsrpFrameHead,
  MsrpHeader,
  MsrpRecovery,
  MsrpStartLine,
  MsrpWireError,
  MsrpWireErrorKind,
} from './types';

export interface MsrpParserLimits {
  /** Cap on start line + header lines + the line that ends them; checked before buffering more. */
  readonly maxHeaderBytes: number;
  /** Cap on one frame's body; bodies are streamed, so Infinity is safe memory-wise. */
  readonly maxBodyBytes: number;
}

export const DEFAULT_MSRP_PARSER_LIMITS: MsrpParserLimits = Object.freeze({
  maxHeaderBytes: 16 * 1024,
  maxBodyBytes: Number.POSITIVE_INFINITY,
});

/** Receives what the parser finds, in stream order. */
export interface MsrpParserHandler {
  /** Start line and headers are complete; the body (if hasBody) follows in onBodyChunk calls. */
  onFrameHead(head: MsrpFrameHead): void;
  /** Body bytes as they arrive: usually a slice of the fed Buffer (no copy). Never empty. */
  onBodyChunk(chunk: Buffer, head: MsrpFrameHead): void;
  /** The end-line was read; flag '$' complete, '+' more chunks follow, '#' aborted. */
  onFrameEnd(flag: MsrpFlag, head: MsrpFrameHead): void;
  /** A framing error; see MsrpWireError.recovery for what the parser does next. */
  onError(error: MsrpWireError): void;
}

/** Where the parser is: the RFC 4975 frame parts, plus skipping garbage and stopped. */
export type MsrpParserPhase = 'start-line' | 'headers' | 'body' | 'resync' | 'closed';

const EMPTY = Buffer.alloc(0);
/** Shared by every head without syntax errors; never written (addSyntaxError replaces it first). */
const NO_ERRORS: string[] = [];
const DASH = 0x2d;
/**
 * wholeHead's scratch for the offsets of a head's line ends, one for every parser: it is filled
 * and read within one synchronous call that calls nothing back, so parsers never share it at
 * once (one per parser cost each idle MSRP connection 0.5 KB).
 */
const LINE_ENDS = new Array<number>(64).fill(0);
const END_FLAGS: Record<number, MsrpFlag | undefined> = { 0x24: '$', 0x2b: '+', 0x23: '#' };

/**
 * Incremental MSRP parser (RFC 4975 sections 7.1 and 9) over Buffers split anywhere.
 *
 * Recovery (see MsrpWireError.recovery):
 * - bad-start-line, bad-end-line, missing-end-line: 'resync'. The parser skips to the next
 *   line that starts with "MSRP " (missing-end-line: the start line that revealed the error
 *   begins the next frame, so that frame is kept). While skipping, further bad start lines are
 *   not reported again.
 * - headers-too-large, body-too-large, truncated: 'close'. The peer is hostile or gone; the
 *   parser ignores everything after, the caller should close the connection.
 * Header lines that break the grammar are not framing errors: they are listed in
 * head.syntaxErrors and checkHead() answers 400.
 *
 * Fed Buffers must not be mutated afterwards: heads and body chunks are views of them.
 */
export class MsrpParser {
  private readonly limits: MsrpParserLimits;
  private state: MsrpParserPhase = 'start-line';
  /** Complete start and header lines of the current head, each with its CRLF. */
  private lines: Buffer[] = [];
  /** Pieces of the line being read, from earlier feeds. */
  private pending: Buffer[] = [];
  /** Bytes of the current head held in lines + pending. */
  private headBytes = 0;
  /** How many bytes of "MSRP " the current start line has matched so far. */
  private prefixMatched = 0;
  private start: MsrpStartLine | undefined;
  private headers: MsrpHeader[] = [];
  /** NO_ERRORS until the first error of a head: most heads have none, so nothing is allocated. */
  private syntaxErrors: string[] = NO_ERRORS;
  private head: MsrpFrameHead | undefined;
  private bodyBytes = 0;
  private bodyOverflow = false;
  private readonly scanner = new EndLineScanner();
  private resyncAtLineStart = false;
  private resyncMatched = 0;
  /** True from a bad start line until a start line parses again: keeps one error per garbage run. */
  private resyncing = false;
  private feeding = false;
  /** Line ends (LF offsets) of the head wholeHead reads; reused. A longer head takes the line path. */

  constructor(
    private readonly handler: MsrpParserHandler,
    limits: Partial<MsrpParserLimits> = {},
  ) {
    this.limits = { ...DEFAULT_MSRP_PARSER_LIMITS, ...limits };
  }

  get phase(): MsrpParserPhase {
    return this.state;
  }

  /** Bytes held inside the parser right now (head being read + end-line tail). */
  get bufferedBytes(): number {
    return this.headBytes + this.scanner.heldBytes;
  }

  /** Feeds bytes from the stream. Never throws on any input; handlers may call close(). */
  feed(chunk: Buffer): void {
    if (this.feeding) throw new Error('MsrpParser.feed called from inside a handler');
    this.feeding = true;
    try {
      let off = 0;
      while (off < chunk.length) {
        switch (this.state) {
          case 'start-line':
          case 'headers':
            off = this.feedHead(chunk, off);
            break;
          case 'body':
            off = this.feedBody(chunk, off);
            break;
          case 'resync':
            off = this.feedResync(chunk, off);
            break;
          case 'closed':
            return;
        }
      }
    } finally {
      this.feeding = false;
    }
  }

  /** The stream ended: a frame in progress is reported as 'truncated'. Later feeds are ignored. */
  finish(): void {
    const midFrame =
      this.state === 'headers' || this.state === 'body' || (this.state === 'start-line' && this.headBytes > 0);
    if (midFrame) this.fail('truncated', 'stream ended inside a frame (missing end-line)', 'close', false);
    this.close();
  }

  /** Stops parsing and drops everything held; further input is ignored. */
  close(): void {
    this.state = 'closed';
    this.resetHead();
    this.head = undefined;
  }

  private feedHead(chunk: Buffer, offset: number): number {
    let off = offset;
    if (this.state === 'start-line' && this.headBytes === 0) {
      // Stray CR/LF between frames carries nothing; skip it rather than call it garbage.
      while (off < chunk.length && (chunk[off] === CR || chunk[off] === LF)) off++;
      if (off === chunk.length) return off;
      const next = this.wholeHead(chunk, off);
      if (next >= 0) return next;
    }
    if (this.state === 'start-line' && this.prefixMatched < MSRP_SP.length) {
      // Reject garbage as soon as it differs from "MSRP ", without waiting for a line end.
      const n = Math.min(MSRP_SP.length - this.prefixMatched, chunk.length - off);
      for (let k = 0; k < n; k++) {
        if (chunk[off + k] !== MSRP_SP[this.prefixMatched + k]) {
          this.fail('bad-start-line', 'expected a start line "MSRP <transaction-id> ..."', 'resync', false);
          return off + k;
        }
      }
      this.prefixMatched += n;
    }
    const budget = this.limits.maxHeaderBytes - this.headBytes;
    const available = chunk.length - off;
    let i: number;
    if (available > budget) {
      const j = budget > 0 ? chunk.subarray(off, off + budget).indexOf(LF) : -1;
      i = j < 0 ? -1 : off + j;
    } else {
      i = chunk.indexOf(LF, off);
    }
    if (i < 0) {
      if (available >= budget) {
        this.fail('headers-too-large', `header block exceeds ${this.limits.maxHeaderBytes} bytes`, 'close', false);
        return chunk.length;
      }
      this.pending.push(chunk.subarray(off));
      this.headBytes += available;
      return chunk.length;
    }
    const piece = chunk.subarray(off, i + 1);
    let line = piece;
    if (this.pending.length > 0) {
      this.pending.push(piece);
      line = Buffer.concat(this.pending);
      this.pending.length = 0;
    }
    this.headBytes += piece.length;
    this.onLine(line);
    return i + 1;
  }

  /**
   * The common case read in one go: a whole, well-formed head of ASCII lines inside this
   * chunk. One string for the head instead of a Buffer view and a string per line; the head
   * handed on is the one the line-by-line path builds. Returns the offset after the head, or
   * -1 (nothing consumed, no state changed) when the head is not that simple: split across
   * chunks, non-ASCII, a grammar error, a start line among the headers, a bad end-line. The
   * line-by-line path then reads it and reports what it finds.
   */
  private wholeHead(chunk: Buffer, off: number): number {
    const limit = Math.min(chunk.length, off + this.limits.maxHeaderBytes);
    const ends = LINE_ENDS;
    let n = 0;
    let p = off;
    let lineStart = off;
    let ascii = 0;
    // line ends (index of LF) up to the empty line or a line that opens with a dash (end-line)
    for (;;) {
      if (p >= limit) return -1;
      const b = chunk[p];
      ascii |= b;
      if (b !== LF) {
        p++;
        continue;
      }
      if (p === lineStart || chunk[p - 1] !== CR) return -1;
      if (n === ends.length) return -1;
      ends[n++] = p;
      p++;
      if (n > 1 && (p - lineStart === 2 || chunk[lineStart] === DASH)) break;
      lineStart = p;
    }
    if (ascii > 0x7f) return -1;
    // the last line found ends the head: the empty line, or an end-line (no body)
    const last = ends[n - 1];
    const emptyLine = last - lineStart === 1;
    const rawEnd = lineStart;
    const text = chunk.toString('latin1', off, rawEnd);
    const startLine = parseStartLine(text.slice(0, ends[0] - 1 - off));
    if (startLine === undefined) return -1;
    const headers: MsrpHeader[] = [];
    for (let k = 1; k < n - 1; k++) {
      const line = text.slice(ends[k - 1] + 1 - off, ends[k] - 1 - off);
      // a start line among the headers (missing-end-line) is no header line either: its
      // "name" holds a space, so it too is left to the line path
      const parsed = parseHeaderLine(line);
      if (typeof parsed === 'string') return -1;
      headers.push(parsed);
    }
    let flag: MsrpFlag | undefined;
    if (!emptyLine) {
      // section 9: "-------" transact-id continuation-flag CRLF, the id of this start line
      const tid = startLine.transactionId;
      const flagAt = lineStart + 7 + tid.length;
      flag = END_FLAGS[chunk[flagAt]];
      const ok =
        flag !== undefined &&
        last === flagAt + 2 &&
        chunk.toString('latin1', lineStart, lineStart + 7) === '-------' &&
        chunk.toString('latin1', lineStart + 7, flagAt) === tid;
      if (!ok) return -1;
    }
    const head = buildHead(startLine, headers, emptyLine, chunk.subarray(off, rawEnd), NO_ERRORS);
    this.resyncing = false;
    this.handOn(head, flag);
    return last + 1;
  }

  private onLine(line: Buffer): void {
    const hasCrlf = line.length >= 2 && line[line.length - 2] === CR;
    const text = hasCrlf ? line.toString('utf8', 0, line.length - 2) : '';
    if (this.state === 'start-line') {
      const start = hasCrlf ? parseStartLine(text) : undefined;
      if (start === undefined) {
        this.fail('bad-start-line', 'malformed start line', 'resync', true);
        return;
      }
      this.start = start;
      this.resyncing = false;
      this.lines.push(line);
      this.state = 'headers';
      return;
    }
    if (!hasCrlf) {
      this.addSyntaxError(`header line ${this.lines.length}: not ended by CRLF`);
      this.lines.push(line);
      return;
    }
    if (line.length === 2) {
      this.completeHead(true, undefined);
      return;
    }
    if (line[0] === DASH && text.startsWith('-------')) {
      this.onHeadEndLine(line);
      return;
    }
    if (text.startsWith('MSRP ')) {
      const next = parseStartLine(text);
      if (next !== undefined) {
        this.fail('missing-end-line', `start line of ${next.transactionId} before the end-line`, 'resync', true);
        if (this.state === 'resync') this.restartWith(line, next);
        return;
      }
    }
    const parsed = parseHeaderLine(text);
    if (typeof parsed === 'string') this.addSyntaxError(`header line ${this.lines.length}: ${parsed}`);
    else this.headers.push(parsed);
    this.lines.push(line);
  }

  /** An end-line right after the headers: the frame has no body (RFC 4975 section 9). */
  private onHeadEndLine(line: Buffer): void {
    const tid = (this.start as MsrpStartLine).transactionId;
    const flagAt = 7 + tid.length;
    const flag = END_FLAGS[line[flagAt]];
    const ok =
      line.length === flagAt + 3 &&
      flag !== undefined &&
      line.toString('latin1', 7, flagAt) === tid;
    if (!ok) {
      this.fail('bad-end-line', `end-line does not close transaction ${tid}`, 'resync', true);
      return;
    }
    this.completeHead(false, flag);
  }

  private completeHead(hasBody: boolean, flag: MsrpFlag | undefined): void {
    const head = buildHead(this.start as MsrpStartLine, this.headers, hasBody, joinLines(this.lines), this.syntaxErrors);
    this.resetHead();
    this.handOn(head, flag);
  }

  /** A complete head: to the body, or (no body) to the next start line; then to the handler. */
  private handOn(head: MsrpFrameHead, flag: MsrpFlag | undefined): void {
    const hasBody = head.hasBody;
    if (hasBody) {
      this.head = head;
      this.bodyBytes = 0;
      this.bodyOverflow = false;
      this.scanner.start(head.transactionId);
      this.state = 'body';
    } else {
      this.state = 'start-line';
    }
    this.handler.onFrameHead(head);
    if (flag !== undefined && this.state === 'start-line') this.handler.onFrameEnd(flag, head);
  }

  private feedBody(chunk: Buffer, off: number): number {
    const head = this.head as MsrpFrameHead;
    const r = this.scanner.scan(chunk, off, this.emitBody);
    if (this.state !== 'body') return chunk.length;
    if (this.bodyOverflow) {
      this.fail('body-too-large', `body exceeds ${this.limits.maxBodyBytes} bytes`, 'close', false);
      return chunk.length;
    }
    if (r.flag !== null) {
      this.head = undefined;
      this.state = 'start-line';
      this.handler.onFrameEnd(r.flag, head);
    }
    return r.next;
  }

  private readonly emitBody = (body: Buffer): void => {
    if (this.state !== 'body' || this.bodyOverflow) return;
    this.bodyBytes += body.length;
    if (this.bodyBytes > this.limits.maxBodyBytes) {
      this.bodyOverflow = true;
      return;
    }
    this.handler.onBodyChunk(body, this.head as MsrpFrameHead);
  };

  /** Skips to the next line starting with "MSRP " without holding any of the skipped bytes. */
  private feedResync(chunk: Buffer, offset: number): number {
    let off = offset;
    while (off < chunk.length) {
      if (this.resyncAtLineStart) {
        const n = Math.min(MSRP_SP.length - this.resyncMatched, chunk.length - off);
        if (chunk.compare(MSRP_SP, this.resyncMatched, this.resyncMatched + n, off, off + n) === 0) {
          this.resyncMatched += n;
          off += n;
          if (this.resyncMatched === MSRP_SP.length) {
            this.state = 'start-line';
            this.pending = [MSRP_SP];
            this.headBytes = MSRP_SP.length;
            this.prefixMatched = MSRP_SP.length;
            this.resyncMatched = 0;
          }
          return off;
        }
        this.resyncAtLineStart = false;
        this.resyncMatched = 0;
      }
      const i = chunk.indexOf(LF, off);
      if (i < 0) return chunk.length;
      off = i + 1;
      this.resyncAtLineStart = true;
    }
    return off;
  }

  private fail(kind: MsrpWireErrorKind, message: string, recovery: MsrpRecovery, atLineStart: boolean): void {
    const start = this.start ?? this.head;
    const error: MsrpWireError = {
      kind,
      message,
      recovery,
      start: start === undefined ? undefined : startLineOf(start),
      headers: this.head?.headers ?? this.headers,
      answerStatus: start?.kind === 'request' ? 400 : undefined,
    };
    const quiet = kind === 'bad-start-line' && this.resyncing;
    this.resetHead();
    this.head = undefined;
    if (recovery === 'close') {
      this.state = 'closed';
    } else {
      this.state = 'resync';
      this.resyncAtLineStart = atLineStart;
      this.resyncMatched = 0;
      this.resyncing = true;
    }
    if (!quiet) this.handler.onError(error);
  }

  /** Resumes at a start line found among headers (after missing-end-line). */
  private restartWith(line: Buffer, start: MsrpStartLine): void {
    this.state = 'headers';
    this.start = start;
    this.lines = [line];
    this.headBytes = line.length;
    this.prefixMatched = MSRP_SP.length;
    this.resyncing = false;
  }

  private addSyntaxError(message: string): void {
    if (this.syntaxErrors === NO_ERRORS) this.syntaxErrors = [];
    this.syntaxErrors.push(message);
  }

  /** Forgets the head being read. The line arrays are reused; headers went out with the head. */
  private resetHead(): void {
    this.lines.length = 0;
    this.pending.length = 0;
    this.headBytes = 0;
    this.prefixMatched = 0;
    this.start = undefined;
    this.headers = [];
    this.syntaxErrors = NO_ERRORS;
  }
}

/**
 * The head handed to the handler, built field by field: one object shape per kind keeps the
 * consumers' property loads monomorphic (a spread of the start line did not).
 */
function buildHead(
  start: MsrpStartLine,
  headers: readonly MsrpHeader[],
  hasBody: boolean,
  raw: Buffer,
  syntaxErrors: readonly string[],
): MsrpFrameHead {
  if (start.kind === 'request') {
    return { kind: 'request', transactionId: start.transactionId, method: start.method, headers, hasBody, raw, syntaxErrors };
  }
  const { transactionId, status, comment } = start;
  return { kind: 'response', transactionId, status, comment, headers, hasBody, raw, syntaxErrors };
}

function startLineOf(s: MsrpStartLine): MsrpStartLine {
  return s.kind === 'request'
    ? { kind: 'request', transactionId: s.transactionId, method: s.method }
    : { kind: 'response', transactionId: s.transactionId, status: s.status, comment: s.comment };
}

/** The head's raw bytes; a view (no copy) when the lines sit next to each other in memory. */
function joinLines(lines: readonly Buffer[]): Buffer {
  if (lines.length === 0) return EMPTY;
  const first = lines[0];
  let end = first.byteOffset + first.length;
  let total = first.length;
  let contiguous = true;
  for (let k = 1; k < lines.length; k++) {
    const l = lines[k];
    if (l.buffer !== first.buffer || l.byteOffset !== end) contiguous = false;
    end = l.byteOffset + l.length;
    total += l.length;
  }
  return contiguous ? Buffer.from(first.buffer, first.byteOffset, total) : Buffer.concat(lines, total);
}
