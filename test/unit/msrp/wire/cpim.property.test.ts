import fc from 'fast-check';
import {
  encodeCpim,
  formatCpimAddress,
  parseCpim,
  parseCpimAddress,
  parseCpimHeaders,
  parseCpimMimeHeaders,
  type CpimAddress,
  type CpimHeader,
  type CpimMessage,
  type CpimMimeHeader,
} from '../../../../src/msrp/wire/cpim';

const nameArb = fc.stringMatching(/^[A-Za-z][A-Za-z0-9\-_]{0,8}$/);
const headerNameArb = fc.oneof(nameArb, fc.tuple(nameArb, nameArb).map(([p, n]) => `${p}.${n}`));
/** HEADERCHAR: anything but C0 controls and DEL, non-ASCII included. */
const valueArb = fc
  .array(fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0x2fff })), { maxLength: 30 })
  .map((cs) => String.fromCharCode(...cs));
const paramArb = fc.record({
  name: nameArb,
  value: fc.oneof(fc.stringMatching(/^[A-Za-z0-9.\-]{1,8}$/), fc.stringMatching(/^"[ -!#-[\]-~]{0,8}"$/)),
});
const headerArb: fc.Arbitrary<CpimHeader> = fc.record({
  name: headerNameArb,
  params: fc.array(paramArb, { maxLength: 2 }),
  value: valueArb,
});
const mimeArb: fc.Arbitrary<CpimMimeHeader> = fc.record({
  name: fc.stringMatching(/^[A-Za-z][A-Za-z0-9\-]{0,12}$/),
  value: fc.stringMatching(/^([!-~]([ -~]{0,20}[!-~])?)?$/),
});
const messageArb: fc.Arbitrary<CpimMessage> = fc.record({
  headers: fc.array(headerArb, { maxLength: 6 }),
  mimeHeaders: fc.array(mimeArb, { maxLength: 4 }),
  body: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
});

function same(a: CpimMessage, b: CpimMessage): void {
  expect(b.headers).toEqual(a.headers);
  expect(b.mimeHeaders).toEqual(a.mimeHeaders);
  expect(b.body.equals(a.body)).toBe(true);
}

describe('RFC 3862 CPIM codec, property based', () => {
  it('RFC 3862 2: parse(encode(x)) = x for any valid message', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const r = parseCpim(encodeCpim(m));
        if (!r.ok) throw new Error(r.error.message);
        same(m, r.value);
      }),
      { numRuns: 500 },
    );
  });

  it('RFC 3862 4.1: parseCpimAddress(formatCpimAddress(a)) = a for any display name', () => {
    const addrArb: fc.Arbitrary<CpimAddress> = fc.record(
      {
        name: fc.oneof(fc.string({ maxLength: 20 }), fc.stringMatching(/^[A-Za-z]{1,5}( [A-Za-z]{1,5}){0,2}$/), fc.string({ unit: 'grapheme', maxLength: 8 })),
        uri: fc.stringMatching(/^(sip|sips|im|tel):[A-Za-z0-9@.;=+\-]{1,20}$/),
      },
      { requiredKeys: ['uri'] },
    );
    fc.assert(
      fc.property(addrArb, (a) => {
        expect(parseCpimAddress(formatCpimAddress(a))).toEqual(a);
      }),
      { numRuns: 500 },
    );
  });

  it('garbage never throws: random bytes and mutated messages give a typed result', () => {
    const mutated = fc.tuple(messageArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 5 })).map(([m, edits]) => {
      const buf = Buffer.from(encodeCpim(m));
      for (const [at, byte] of edits) if (buf.length > 0) buf[at % buf.length] = byte;
      return buf;
    });
    const input = fc.oneof(fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)), mutated);
    fc.assert(
      fc.property(input, (buf) => {
        const results = [parseCpim(buf), parseCpimHeaders(buf), parseCpimMimeHeaders(buf)];
        for (const r of results) {
          expect(typeof r.ok).toBe('boolean');
          if (!r.ok) expect(['bad-utf8', 'no-blank-line', 'bad-header', 'bad-mime-header', 'too-many-headers']).toContain(r.error.kind);
        }
        expect(() => parseCpimAddress(buf.toString('utf8'))).not.toThrow();
      }),
      { numRuns: 1000 },
    );
  });
});
