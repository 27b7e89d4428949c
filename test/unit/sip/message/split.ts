/** Test helper: cut a raw message the way the patched sip parser hands it to the validator. */
import { readFileSync } from 'node:fs';

export interface SplitMessage {
  /** Start line + header lines, latin1, CRLF separated, no final empty line. */
  readonly head: string;
  readonly bodyLength: number;
}

/** Split at the first CRLFCRLF; the head is read as latin1 (one char per byte). */
export function splitMessage(bytes: Buffer): SplitMessage {
  const text = bytes.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) throw new Error('no CRLFCRLF: not a complete message');
  return { head: text.slice(0, end), bodyLength: bytes.length - end - 4 };
}

export function readMessage(...paths: string[]): SplitMessage {
  return splitMessage(Buffer.concat(paths.map((p) => readFileSync(p))));
}
