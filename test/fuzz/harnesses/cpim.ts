// CPIM (RFC 3862, src/msrp/wire/cpim.ts): parseCpim returns a result, never throws; what
// parses encodes back to bytes that parse to the same message; addresses likewise.
import { deepStrictEqual } from 'node:assert';
import fc from 'fast-check';
import { encodeCpim, formatCpimAddress, parseCpim, parseCpimAddress } from '../../../src/msrp/wire/cpim';
import { garbageArb } from '../mutate';
import type { Harness } from '../runner';

const SEEDS = [
  'From: MR SANDERS <im:piglet@100akerwood.com>\r\nTo: Depressed Donkey <im:eeyore@100akerwood.com>\r\nDateTime: 2000-12-13T13:40:00-08:00\r\nSubject: the weather will be fine today\r\nSubject:;lang=fr beau temps prevu pour aujourd\'hui\r\nNS: MyFeatures <mid:MessageFeatures@id.foo.com>\r\nRequire: MyFeatures.VitalMessageOption\r\nMyFeatures.VitalMessageOption: Confirmation-requested\r\n\r\nContent-type: text/xml; charset=utf-8\r\nContent-ID: <1234567890@foo.com>\r\n\r\n<body>Here is the text of my message.</body>',
  'From: "Al\\"ice" <sip:alice@localhost>\r\nTo: <sip:anonymous@anonymous.invalid>\r\n\r\nContent-Type: text/plain\r\n\r\nhi\r\n',
].map((s) => Buffer.from(s, 'utf8'));
const TOKENS = ['\r\n', '\r\n\r\n', ':', ';', ';lang=', '"', '\\', '<', '>', ' ', 'From: ', 'To: ', 'NS: ', 'Require: ', 'Content-Type: ', '\x00', '\xff', '\xc3\xa9', '\t'];

export const cpimHarness: Harness = {
  parser: 'cpim',
  properties: [
    {
      name: 'garbage',
      bytes: true,
      arbitrary: garbageArb(SEEDS, TOKENS),
      check: (data: Buffer) => {
        const r = parseCpim(data);
        if (!r.ok) return;
        const again = parseCpim(encodeCpim(r.value));
        if (!again.ok) throw new Error(`encoded message no longer parses: ${again.error.message}`);
        deepStrictEqual(again.value, r.value);
        for (const h of r.value.headers) {
          const a = parseCpimAddress(h.value);
          if (a !== undefined) deepStrictEqual(parseCpimAddress(formatCpimAddress(a)), a);
        }
      },
      quickRuns: 300,
    },
    {
      name: 'garbage-address',
      arbitrary: fc.oneof(fc.string({ maxLength: 80 }), garbageArb([Buffer.from('"A \\"b\\"" <sip:a@b>')], TOKENS, 80).map((b) => b.toString('latin1'))),
      check: (s: string) => {
        const a = parseCpimAddress(s);
        if (a !== undefined) deepStrictEqual(parseCpimAddress(formatCpimAddress(a)), a);
      },
      quickRuns: 200,
    },
  ],
};
