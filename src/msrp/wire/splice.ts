import { CR, LF } from './grammar';
import { formatPath, type MsrpUri } from './uri';

export interface HeadSplice {
  readonly toPath?: readonly (MsrpUri | string)[];
  readonly fromPath?: readonly (MsrpUri | string)[];
}

/** Byte offsets in a head's raw bytes of a header value: [start, end), without blanks or CRLF. */
export interface ValueSpan {
  readonly start: number;
  readonly end: number;
}

/** Where the values of the first To-Path and first From-Path header sit (undefined: absent). */
export interface PathValueSpans {
  readonly toPath: ValueSpan | undefined;
  readonly fromPath: ValueSpan | undefined;
}

const TO = 'to-path';
const FROM = 'from-path';

/**
 * Finds the values of the first To-Path and From-Path headers in `raw` (head.raw from the
 * parser), stopping as soon as the wanted ones are found. A relay that forwards many frames
 * uses this with path bytes it encoded once (RFC 4976 section 7.3, path rewriting).
 */
export function findPathValues(raw: Buffer, wantTo = true, wantFrom = true): PathValueSpans {
  let toPath: ValueSpan | undefined;
  let fromPath: ValueSpan | undefined;
  // the first line is the start line; headers follow, one per line
  let pos = raw.indexOf(LF) + 1;
  while (pos > 0 && pos < raw.length && ((wantTo && toPath === undefined) || (wantFrom && fromPath === undefined))) {
    const lf = raw.indexOf(LF, pos);
    const end = lf < 0 ? raw.length : lf + 1;
    const colon = raw.indexOf(0x3a, pos);
    if (colon > pos && colon < end) {
      const name = raw.toString('latin1', pos, colon).toLowerCase();
      const isTo = wantTo && toPath === undefined && name === TO;
      const isFrom = !isTo && wantFrom && fromPath === undefined && name === FROM;
      if (isTo || isFrom) {
        let v = colon + 1;
        while (v < end && (raw[v] === 0x20 || raw[v] === 0x09)) v++;
        let e = lf < 0 ? raw.length : lf;
        if (e > v && raw[e - 1] === CR) e--;
        if (isTo) toPath = { start: v, end: e };
        else fromPath = { start: v, end: e };
      }
    }
    pos = end;
  }
  return { toPath, fromPath };
}

/**
 * The pieces of `raw` with the given spans replaced, in order: views of raw and the
 * replacements (no copy). Spans are those of findPathValues; either may be absent.
 */
export function splicePieces(raw: Buffer, edits: readonly (readonly [ValueSpan, Buffer])[]): Buffer[] {
  const sorted = edits.length > 1 && edits[1][0].start < edits[0][0].start ? [edits[1], edits[0]] : edits;
  const parts: Buffer[] = [];
  let copied = 0;
  for (const [span, bytes] of sorted) {
    parts.push(raw.subarray(copied, span.start), bytes);
    copied = span.end;
  }
  parts.push(raw.subarray(copied));
  return parts;
}

/**
 * Relay forwarding by splicing (RFC 4976 section 7.3, path rewriting): returns new head bytes
 * where only the values of To-Path and From-Path are replaced; every other byte of `raw`
 * (start line, other headers, their case and spacing) is kept. `raw` is head.raw from the parser.
 * Returns undefined when a header to replace is not in the head (checkHead rejects such heads).
 */
export function spliceHead(raw: Buffer, change: HeadSplice): Buffer | undefined {
  const to = change.toPath === undefined ? undefined : Buffer.from(formatPath(change.toPath), 'utf8');
  const from = change.fromPath === undefined ? undefined : Buffer.from(formatPath(change.fromPath), 'utf8');
  const spans = findPathValues(raw, to !== undefined, from !== undefined);
  const edits: (readonly [ValueSpan, Buffer])[] = [];
  if (to !== undefined) {
    if (spans.toPath === undefined) return undefined;
    edits.push([spans.toPath, to]);
  }
  if (from !== undefined) {
    if (spans.fromPath === undefined) return undefined;
    edits.push([spans.fromPath, from]);
  }
  return Buffer.concat(splicePieces(raw, edits));
}
