// Replaces (RFC 3891, src/sip/message/replaces.ts): the header value and the URI header form
// never throw; what parses formats and parses back to the same target.
import { deepStrictEqual } from 'node:assert';
import fc from 'fast-check';
import { formatReplaces, parseReplaces, splitUriHeaders, withReplacesHeader } from '../../../src/sip/message/replaces';
import { garbageArb } from '../mutate';
import type { Harness } from '../runner';

const SEEDS = ['abc@h;to-tag=1;from-tag=2', '98asjd8@test.com;from-tag=xyz;to-tag=a;early-only', 'sip:a@b?Replaces=x%40y%3Bto-tag%3D1%3Bfrom-tag%3D2&Require=replaces'].map((s) => Buffer.from(s));
const TOKENS = [';', '=', 'to-tag=', 'from-tag=', 'early-only', '@', '%', '%3B', '%3D', '%zz', '%', '?', '&', ' ', '\t', 'Replaces=', '\x00', '\xff'];

export const replacesHarness: Harness = {
  parser: 'replaces',
  properties: [
    {
      name: 'garbage',
      bytes: true,
      arbitrary: fc.oneof(garbageArb(SEEDS, TOKENS, 120), fc.string({ maxLength: 600 }).map((s) => Buffer.from(s))),
      check: (data: Buffer) => {
        const s = data.toString('latin1');
        const t = parseReplaces(s);
        if (t !== undefined) deepStrictEqual(parseReplaces(formatReplaces(t)), t);
        const split = splitUriHeaders(s);
        const raw = split?.headers.get('replaces');
        const inner = raw === undefined ? undefined : parseReplaces(raw);
        if (split && inner) {
          // the URI-header form carries the same target back
          const back = splitUriHeaders(withReplacesHeader(split.base, inner));
          deepStrictEqual(parseReplaces(back?.headers.get('replaces')), inner);
        }
      },
      quickRuns: 300,
    },
  ],
};
