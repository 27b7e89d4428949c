import { CR, LF } from './grammar';
import { formatPath, type MsrpUri } from './uri';

export interface HeadSplice {
  readonly toPath?: readonly (MsrpUri | string)[];
  readonly fromPath?: readonly (MsrpUri | string)[];
}

const TO = 'to-path';
const FROM = 'from-path';

/**
 * Relay forwarding by splicing (RFC 4976 section 7.3, path rewriting): returns new head bytes
 * where only the values of To-Path and From-Path are replaced; every other byte of `raw`
 * (start line, other headers, their case and spacing) is kept. `raw` is head.raw from the parser.
 * Returns undefined when a header to replace is not in the head (checkHead rejects such heads).
 */
export function spliceHead(raw: Buffer, change: HeadSplice): Buffer | undefined {
  const to = change.toPath === undefined ? undefined : Buffer.from(formatPath(change.toPath), 'utf8');
  const from = change.fromPath === undefined ? undefined : Buffer.from(formatPath(change.fromPath), 'utf8');
  const parts: Buffer[] = [];
  let copied = 0;
  let doneTo = to === undefined;
  let doneFrom = from === undefined;
  // the first line is the start line; headers follow, one per line
  let pos = raw.indexOf(LF) + 1;
  while (pos > 0 && pos < raw.length && !(doneTo && doneFrom)) {
    const lf = raw.indexOf(LF, pos);
    const end = lf < 0 ? raw.length : lf + 1;
    const colon = raw.indexOf(0x3a, pos);
    if (colon > pos && colon < end) {
      const name = raw.toString('latin1', pos, colon).toLowerCase();
      const replacement = name === TO && !doneTo ? to : name === FROM && !doneFrom ? from : undefined;
      if (replacement !== undefined) {
        let v = colon + 1;
        while (v < end && (raw[v] === 0x20 || raw[v] === 0x09)) v++;
        let e = lf < 0 ? raw.length : lf;
        if (e > v && raw[e - 1] === CR) e--;
        parts.push(raw.subarray(copied, v), replacement);
        copied = e;
        if (name === TO) doneTo = true;
        else doneFrom = true;
      }
    }
    pos = end;
  }
  if (!doneTo || !doneFrom) return undefined;
  parts.push(raw.subarray(copied));
  return Buffer.concat(parts);
}
