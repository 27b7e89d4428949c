// The Replaces header (RFC 3891) and its URI-header form (OMA IM 7.1.1.6 step 8, Appendix M).
import fc from 'fast-check';
import { formatReplaces, parseReplaces, replacesFromUri, splitUriHeaders, unsupportedOptions, withReplacesHeader } from '../../../../src/sip/message/replaces';

test('RFC 3891 6.1: format and parse round trip, early-only kept', () => {
  const v = { callId: '425928@bobster.example.org', toTag: '7743', fromTag: '6472' };
  expect(formatReplaces(v)).toBe('425928@bobster.example.org;to-tag=7743;from-tag=6472');
  expect(parseReplaces('425928@bobster.example.org;to-tag=7743;from-tag=6472')).toEqual(v);
  expect(parseReplaces(formatReplaces({ ...v, earlyOnly: true }))).toEqual({ ...v, earlyOnly: true });
});

test('RFC 3891 6.1: blanks around ";" and "=", parameter names in any case, unknown params ignored', () => {
  expect(parseReplaces('abc@h ; From-Tag = 2 ; x=y ; TO-TAG=1')).toEqual({ callId: 'abc@h', toTag: '1', fromTag: '2' });
});

test('RFC 3891 3: to-tag and from-tag are required, once each; the Call-ID must be one', () => {
  expect(parseReplaces('abc;to-tag=1')).toMatch(/required/);
  expect(parseReplaces('abc;from-tag=1')).toMatch(/required/);
  expect(parseReplaces('abc;to-tag=1;to-tag=2;from-tag=3')).toMatch(/repeated/);
  expect(parseReplaces('abc;to-tag=;from-tag=3')).toMatch(/bad to-tag/);
  expect(parseReplaces(';to-tag=1;from-tag=2')).toMatch(/Call-ID/);
  expect(parseReplaces('a@b@c;to-tag=1;from-tag=2')).toMatch(/Call-ID/);
  expect(parseReplaces('a b;to-tag=1;from-tag=2')).toMatch(/Call-ID/);
  expect(() => formatReplaces({ callId: 'a;b', toTag: '1', fromTag: '2' })).toThrow(RangeError);
  expect(() => formatReplaces({ callId: 'a', toTag: '1 2', fromTag: '2' })).toThrow(RangeError);
});

test('OMA IM 7.1.1.6 step 8: the URI header form is percent-encoded and decodes back (RFC 3261 19.1.1)', () => {
  const v = { callId: '98asjd8@10.1.2.3', toTag: 'srv-77', fromTag: 'al~1' };
  const uri = withReplacesHeader('sip:bob@example.com', v);
  expect(uri).toBe('sip:bob@example.com?Replaces=98asjd8%4010.1.2.3%3Bto-tag%3Dsrv-77%3Bfrom-tag%3Dal~1');
  expect(replacesFromUri(uri)).toEqual(v);
  expect(splitUriHeaders(uri)?.base).toBe('sip:bob@example.com');
  // a second header joins with "&"
  expect(withReplacesHeader('sip:bob@example.com?Subject=hi', v)).toMatch(/\?Subject=hi&Replaces=/);
  expect(replacesFromUri('sip:bob@example.com')).toBeUndefined();
  expect(replacesFromUri('sip:bob@example.com?Replaces=%ZZ')).toMatch(/escape/);
});

test('RFC 3891: any valid Replaces survives the URI-header encoding', () => {
  const word = fc.stringMatching(/^[A-Za-z0-9\-.!%*_+`'~()<>:\\"/[\]?{}=]{1,20}$/);
  const token = fc.stringMatching(/^[A-Za-z0-9\-.!%*_+`'~]{1,16}$/);
  fc.assert(
    fc.property(word, fc.option(word, { nil: undefined }), token, token, (a, b, toTag, fromTag) => {
      const v = { callId: b === undefined ? a : `${a}@${b}`, toTag, fromTag };
      expect(replacesFromUri(withReplacesHeader('sip:u@h', v))).toEqual(v);
      expect(parseReplaces(formatReplaces(v))).toEqual(v);
    }),
  );
});

test('RFC 3261 8.2.2.3: unsupported option tags, case-insensitive, each once, non-tokens left out', () => {
  expect(unsupportedOptions(undefined, ['replaces'])).toEqual([]);
  expect(unsupportedOptions('Replaces', ['replaces'])).toEqual([]);
  expect(unsupportedOptions('replaces, 100rel,foo, foo', ['replaces'])).toEqual(['100rel', 'foo']);
  expect(unsupportedOptions('replaces', [])).toEqual(['replaces']);
  expect(unsupportedOptions('a b, ok', [])).toEqual(['ok']);
});
