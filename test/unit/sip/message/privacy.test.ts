import { anonymizeHeaders, anonymousFrom, privacyValues, wantsAnonymity } from '../../../../src/sip/message/privacy';
import type { SipHeaders } from '../../../../src/sip/message/types';

describe('RFC 3323 / RFC 3325 privacy service', () => {
  test('RFC 3323 4.2: priv-values are read case-blind, separated by ";"', () => {
    expect(privacyValues('id')).toEqual(['id']);
    expect(privacyValues(' Header ; ID;critical')).toEqual(['header', 'id', 'critical']);
    expect(privacyValues(undefined)).toEqual([]);
  });

  test('RFC 3325 9.3 / RFC 3323 4.2: id, header and user ask for anonymity; none alone asks nothing, and cannot switch off a request for privacy (fail closed)', () => {
    expect(wantsAnonymity('id')).toBe(true);
    expect(wantsAnonymity('header')).toBe(true);
    expect(wantsAnonymity('user;critical')).toBe(true);
    expect(wantsAnonymity('none')).toBe(false);
    expect(wantsAnonymity('id;none')).toBe(true);
    expect(wantsAnonymity('none;id')).toBe(true);
    expect(wantsAnonymity('session')).toBe(false);
    expect(wantsAnonymity(undefined)).toBe(false);
  });

  test('RFC 3323 4.1.1: the anonymous From is "Anonymous" <sip:anonymous@anonymous.invalid> with our tag', () => {
    expect(anonymousFrom('t1')).toEqual({ name: '"Anonymous"', uri: 'sip:anonymous@anonymous.invalid', params: { tag: 't1' } });
  });

  test('RFC 3323 5.1 / RFC 3325 9.3: an anonymised request keeps nothing that names or locates the sender', () => {
    const h: SipHeaders = {
      via: [{ version: '2.0', protocol: 'UDP', host: '192.0.2.7', port: 5070, params: { branch: 'z9hG4bKx' } }],
      from: { name: '"Alice"', uri: 'sip:alice@example.org', params: { tag: 'a1' } },
      to: { uri: 'sip:bob@example.org', params: {} },
      'call-id': 'abc@192.0.2.7',
      cseq: { seq: 3, method: 'MESSAGE' },
      contact: [{ uri: 'sip:alice@192.0.2.7:5070', params: {} }],
      'p-asserted-identity': '<sip:alice@example.org>',
      'p-preferred-identity': '<sip:alice@example.org>',
      'reply-to': '<sip:alice@example.org>',
      'user-agent': 'alice-phone',
      // attack finding: these reached the callee of an anonymous MESSAGE
      'referred-by': '<sip:alice@example.org>',
      'history-info': '<sip:alice@example.org>;index=1',
      'x-caller': 'alice',
      privacy: 'id',
      'content-type': 'text/plain',
      'max-forwards': '69',
    };
    const out = anonymizeHeaders(h, 'ourtag', 'ourcallid@imedge');
    expect(out.from).toEqual(anonymousFrom('ourtag'));
    expect(out['call-id']).toBe('ourcallid@imedge');
    expect(out.via).toEqual([]);
    for (const k of ['contact', 'p-asserted-identity', 'p-preferred-identity', 'reply-to', 'user-agent', 'referred-by', 'history-info', 'x-caller']) expect(out[k]).toBeUndefined();
    expect(JSON.stringify(out)).not.toMatch(/alice|192\.0\.2\.7/);
    // what does not name the sender is kept
    expect(out.to).toEqual(h.to);
    expect(out.cseq).toEqual(h.cseq);
    expect(out.privacy).toBe('id');
    expect(out['content-type']).toBe('text/plain');
    expect(out['max-forwards']).toBe('69');
    // the input is not changed
    expect(h.from?.uri).toBe('sip:alice@example.org');
  });
});
