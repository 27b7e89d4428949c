import fc from 'fast-check';
import { detached, detachedDeep } from '../../../src/util/detach';

describe('detached: a string copied out of the text it was cut from (issue 8, held-session memory)', () => {
  test('any string, lone surrogates included, comes back with the same UTF-16 units', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => expect(detached(s)).toBe(s)));
  });

  test('deep: plain objects and arrays are copied with equal contents; Buffers, numbers and null kept', () => {
    const body = Buffer.from('x');
    const v = { uri: 'sip:alice@example.com;transport=tcp', params: { tag: 'abcdefabcdefabcdef', lr: null, n: 3 }, list: ['msrp://127.0.0.1:2855/abcdefghijklmn;tcp'], body };
    const out = detachedDeep(v);
    expect(out).toEqual(v);
    expect(out).not.toBe(v);
    expect(out.params).not.toBe(v.params);
    expect(out.body).toBe(body);
  });

  test('deep: a key named __proto__ from the wire stays an own property and never becomes the prototype', () => {
    const v = JSON.parse('{"params": {"__proto__": {"polluted": "yes"}}}') as { params: Record<string, unknown> };
    const out = detachedDeep(v);
    expect(Object.getPrototypeOf(out.params)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(out.params, '__proto__')).toBe(true);
    expect((out.params as { polluted?: string }).polluted).toBeUndefined();
  });
});
