import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SdpError } from '../../../src/sdp/errors';

export const FIXTURES = join(__dirname, '../../fixtures/sdp');

export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

/** Lines joined with CRLF, CRLF-terminated. */
export function sdp(...lines: string[]): string {
  return lines.map((l) => `${l}\r\n`).join('');
}

/** A minimal valid MSRP offer, as lines, to break one line at a time. */
export const BASE: readonly string[] = [
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 atlanta.example.com',
  's=-',
  'c=IN IP4 atlanta.example.com',
  't=0 0',
  'm=message 7654 TCP/MSRP *',
  'a=accept-types:text/plain',
  'a=path:msrp://atlanta.example.com:7654/jshA7weztas;tcp',
];

/** BASE with the line starting with `prefix` replaced (or removed when `by` is undefined). */
export function replaced(prefix: string, by: string | undefined): string {
  const i = BASE.findIndex((l) => l.startsWith(prefix));
  if (i < 0) throw new Error(`no line starting with ${prefix}`);
  const lines = [...BASE];
  if (by === undefined) lines.splice(i, 1);
  else lines[i] = by;
  return sdp(...lines);
}

/** Runs fn and returns the SdpError it throws (fails the test otherwise). */
export function sdpErrorOf(fn: () => unknown): SdpError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SdpError) return e;
    throw e;
  }
  throw new Error('expected an SdpError');
}
