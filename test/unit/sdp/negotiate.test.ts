import fc from 'fast-check';
import { negotiateAcceptTypes } from '../../../src/sdp/negotiate';

describe('RFC 4975 section 8.6: the answer lists only types the answerer understands', () => {
  test('plain intersection keeps the offer order', () => {
    expect(negotiateAcceptTypes(['text/html', 'message/cpim', 'text/plain'], ['text/plain', 'message/cpim'])).toEqual([
      'message/cpim',
      'text/plain',
    ]);
  });

  test('no common type gives an empty list (the caller answers 488)', () => {
    expect(negotiateAcceptTypes(['image/jpeg'], ['text/plain', 'message/cpim'])).toEqual([]);
    expect(negotiateAcceptTypes([], ['*'])).toEqual([]);
    expect(negotiateAcceptTypes(['text/plain'], [])).toEqual([]);
  });

  test('matching ignores case and parameters; the offered entry is kept as written', () => {
    expect(negotiateAcceptTypes(['Text/Plain;charset=UTF-8'], ['text/plain'])).toEqual(['Text/Plain;charset=UTF-8']);
    expect(negotiateAcceptTypes(['text/plain'], ['text/plain;charset=utf-8'])).toEqual(['text/plain']);
  });

  test('offered "*": our supported types, in our order', () => {
    expect(negotiateAcceptTypes(['*'], ['message/cpim', 'text/plain'])).toEqual(['message/cpim', 'text/plain']);
  });

  test('offered "text/*": only our text types', () => {
    expect(negotiateAcceptTypes(['text/*'], ['message/cpim', 'text/plain', 'text/html'])).toEqual(['text/plain', 'text/html']);
  });

  test('our "*" or "text/*" accepts concrete offered types', () => {
    expect(negotiateAcceptTypes(['text/plain', 'image/png'], ['*'])).toEqual(['text/plain', 'image/png']);
    expect(negotiateAcceptTypes(['text/plain', 'image/png'], ['text/*'])).toEqual(['text/plain']);
  });

  test('two wildcards meet at the narrower one', () => {
    expect(negotiateAcceptTypes(['*'], ['text/*'])).toEqual(['text/*']);
    expect(negotiateAcceptTypes(['text/*'], ['*'])).toEqual(['text/*']);
    expect(negotiateAcceptTypes(['*'], ['*'])).toEqual(['*']);
    expect(negotiateAcceptTypes(['text/*'], ['image/*'])).toEqual([]);
  });

  test('a type reached twice appears once, at its first place', () => {
    expect(negotiateAcceptTypes(['text/plain', 'text/*'], ['text/plain', 'text/html'])).toEqual(['text/plain', 'text/html']);
  });

  test('property: every result entry is covered by both lists and is not repeated', () => {
    const types = fc.constantFrom('*', 'text/*', 'text/plain', 'text/html', 'message/cpim', 'image/*', 'image/png');
    const covers = (p: string, t: string): boolean =>
      p === '*' || p === t || (p.endsWith('/*') && t !== '*' && t.startsWith(p.slice(0, -1)));
    fc.assert(
      fc.property(fc.array(types, { maxLength: 6 }), fc.array(types, { maxLength: 6 }), (offered, supported) => {
        const result = negotiateAcceptTypes(offered, supported);
        expect(new Set(result).size).toBe(result.length);
        for (const r of result) {
          expect(offered.some((o) => covers(o, r))).toBe(true);
          expect(supported.some((s) => covers(s, r))).toBe(true);
        }
      }),
    );
  });
});
