import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MsrpParser, type MsrpParserLimits } from '../../../../src/msrp/wire/parser';
import type { MsrpFlag, MsrpFrameHead, MsrpWireError } from '../../../../src/msrp/wire/types';

export const FIXTURES = join(__dirname, '../../../fixtures/msrp');

export function fixture(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

export type ParserEvent =
  | { type: 'head'; head: MsrpFrameHead }
  | { type: 'body'; chunk: Buffer }
  | { type: 'end'; flag: MsrpFlag }
  | { type: 'error'; error: MsrpWireError };

/** Feeds chunks to a fresh parser and records every callback. */
export function runParser(
  chunks: readonly Buffer[],
  limits: Partial<MsrpParserLimits> = {},
  finish = true,
): { events: ParserEvent[]; parser: MsrpParser } {
  const events: ParserEvent[] = [];
  const parser = new MsrpParser(
    {
      onFrameHead: (head) => events.push({ type: 'head', head }),
      onBodyChunk: (chunk) => events.push({ type: 'body', chunk }),
      onFrameEnd: (flag) => events.push({ type: 'end', flag }),
      onError: (error) => events.push({ type: 'error', error }),
    },
    limits,
  );
  for (const c of chunks) parser.feed(c);
  if (finish) parser.finish();
  return { events, parser };
}

/** Splits buf at the given offsets (any order, duplicates and out-of-range ignored). */
export function splitAt(buf: Buffer, points: readonly number[]): Buffer[] {
  const cuts = [...new Set(points.filter((p) => p > 0 && p < buf.length))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of cuts) {
    out.push(buf.subarray(prev, c));
    prev = c;
  }
  out.push(buf.subarray(prev));
  return out;
}

/** Every byte in its own Buffer (fresh copies, so nothing is contiguous by accident). */
export function bytewise(buf: Buffer): Buffer[] {
  return [...buf].map((b) => Buffer.from([b]));
}

export const crlf = (text: string): Buffer => Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8');
