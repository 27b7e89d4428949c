// The additions the client makes to src/sip/message/replaces.ts: the Replaces URI header of
// OMA IM 7.1.1.6 step 8 (Appendix M) and option-tag checking (RFC 3261 8.2.2.3).
import fc from 'fast-check';
import { checkUri } from '../../../src/sip/message/grammar/uri';
import { formatReplaces, parseReplaces, splitUriHeaders, unsupportedOptions, withReplacesHeader } from '../../../src/sip/message/replaces';

const fromUri = (uri: string) => parseReplaces(splitUriHeaders(uri)?.headers.get('replaces'));

test('OMA IM 7.1.1.6 step 8: the Replaces URI header is percent-encoded (RFC 3261 19.1.1) and decodes back', () => {
  const v = { callId: '98asjd8@10.1.2.3', toTag: 'srv-77', fromTag: 'al~1' };
  const uri = withReplacesHeader('sip:bob@example.com', v);
  expect(uri).toBe('sip:bob@example.com?Replaces=98asjd8%4010.1.2.3%3Bto-tag%3Dsrv-77%3Bfrom-tag%3Dal~1');
  expect(fromUri(uri)).toEqual({ ...v, earlyOnly: false });
  expect(splitUriHeaders(uri)?.base).toBe('sip:bob@example.com');
  expect(checkUri(uri, 0, uri.length)).toEqual({ scheme: 'sip', hasHeaders: true });
  // a second header joins with "&"
  expect(withReplacesHeader('sip:bob@example.com?Subject=hi', v)).toMatch(/\?Subject=hi&Replaces=98asjd8/);
});

test('RFC 3891 6.1: any valid Replaces survives the URI-header encoding and the SIP URI grammar', () => {
  const word = fc.stringMatching(/^[A-Za-z0-9\-.!%*_+`'~()<>:\\"/[\]?{}]{1,20}$/);
  const token = fc.stringMatching(/^[A-Za-z0-9\-.!%*_+`'~]{1,16}$/);
  fc.assert(
    fc.property(word, fc.option(word, { nil: undefined }), token, token, fc.boolean(), (a, b, toTag, fromTag, earlyOnly) => {
      const v = { callId: b === undefined ? a : `${a}@${b}`, toTag, fromTag, earlyOnly };
      const uri = withReplacesHeader('sip:u@h', v);
      expect(fromUri(uri)).toEqual(v);
      expect(parseReplaces(formatReplaces(v))).toEqual(v);
      expect(typeof checkUri(uri, 0, uri.length)).toBe('object');
    }),
    { numRuns: 300, seed: 7 },
  );
});

test('RFC 3261 8.2.2.3: unsupported option tags, case-insensitive, each once, non-tokens left out', () => {
  expect(unsupportedOptions(undefined, ['replaces'])).toEqual([]);
  expect(unsupportedOptions('Replaces', ['replaces'])).toEqual([]);
  expect(unsupportedOptions('replaces, 100rel,foo, foo', ['replaces'])).toEqual(['100rel', 'foo']);
  expect(unsupportedOptions('replaces', [])).toEqual(['replaces']);
  expect(unsupportedOptions('a b, ok', [])).toEqual(['ok']);
});
