// RFC 3891 6.1 Replaces header and the URI-header form of OMA IM 7.1.1.6 step 8.
import fc from 'fast-check';
import { formatReplaces, parseReplaces, splitUriHeaders } from '../../../src/sip/message/replaces';

test('RFC 3891 6.1: call-id with to-tag and from-tag (and early-only) parse and format back', () => {
  expect(parseReplaces('425928@bobster.example.org;to-tag=7743;from-tag=6472')).toEqual({ callId: '425928@bobster.example.org', toTag: '7743', fromTag: '6472', earlyOnly: false });
  expect(parseReplaces('a;from-tag=2;to-tag=1;early-only')).toEqual({ callId: 'a', toTag: '1', fromTag: '2', earlyOnly: true });
  expect(formatReplaces({ callId: 'a@b', toTag: 'x', fromTag: 'y' })).toBe('a@b;to-tag=x;from-tag=y');
});

test.each(['', 'abc', 'abc;to-tag=1', 'abc;from-tag=1', ';to-tag=1;from-tag=2', 'a b;to-tag=1;from-tag=2', `abc;to-tag=${'x'.repeat(600)};from-tag=1`])(
  'RFC 3891 6.1: %j without a call-id and both tags is refused',
  (v) => expect(parseReplaces(v)).toBeUndefined(),
);

test('RFC 3261 19.1.1: URI headers are split off and decoded; an undecodable one refuses the URI', () => {
  expect(splitUriHeaders('sip:b@x?Replaces=a%3Bto-tag%3D1&Subject=hi')).toEqual({ base: 'sip:b@x', headers: new Map([['replaces', 'a;to-tag=1'], ['subject', 'hi']]) });
  expect(splitUriHeaders('sip:b@x')).toEqual({ base: 'sip:b@x', headers: new Map() });
  expect(splitUriHeaders('sip:b@x?Replaces=%E0%A4%A')).toBeUndefined();
});

test('fuzz: parseReplaces and splitUriHeaders never throw', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (s) => {
      parseReplaces(s);
      splitUriHeaders(s);
    }),
    { numRuns: 500, seed: 3 },
  );
});
