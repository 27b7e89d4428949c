// STYLE habit 6: a refusal carries status, reason and Warning; the Warning value always passes
// the RFC 3261 20.43 grammar the SIP layer checks, whatever text it carries.
import fc from 'fast-check';
import { checkWarning } from '../../../../src/sip/message/grammar/fields';
import { SipRefusal, refuse, warningHeaderValue } from '../../../../src/im/policies';

test('RFC 3261 20.43: 399 host "text"', () => {
  const r = refuse(486, 'Busy Here', 'OMA IM 7.2.1.5 step 2', { agent: 'im.example.com', text: 'Too many participants' });
  expect(r).toBeInstanceOf(SipRefusal);
  expect(r).toBeInstanceOf(Error);
  expect(r.warningHeader()).toBe('399 im.example.com "Too many participants"');
  expect(r.message).toBe('486 Busy Here (Warning: 399 im.example.com "Too many participants") [OMA IM 7.2.1.5 step 2]');
  expect(new SipRefusal(403, 'Forbidden').warningHeader()).toBeUndefined();
});

test('RFC 3261 20.43: quotes and backslashes are escaped, controls dropped, a bad agent or code replaced', () => {
  expect(warningHeaderValue({ code: 399, agent: 'h', text: 'a "b" \\ c\r\n' })).toBe('399 h "a \\"b\\" \\\\ c"');
  expect(warningHeaderValue({ code: 200, agent: 'bad agent', text: 'x' })).toBe('399 imedge "x"');
});

test('property: any text gives a Warning value the SIP grammar accepts', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 80, unit: 'grapheme' }), fc.constantFrom('im.example.com', '192.0.2.1', '[2001:db8::1]:5060', 'x y', ''), (text, agent) => {
      // The SIP grammar checks the wire form: UTF-8 bytes as a latin1 string.
      const wire = Buffer.from(warningHeaderValue({ code: 399, agent, text }), 'utf8').toString('latin1');
      expect(checkWarning(wire)).toBeNull();
    }),
    { numRuns: 1000 },
  );
});
