// The per-key share (share.ts) behind the per-source and per-target transaction bounds.
import { KeyedShare } from '../../../../src/sip/stack/share';

test('a key holds at most its limit; force takes one anyway; the first refusal is reported once until the key goes below; idle keys leave the map', () => {
  const refused: string[] = [];
  const share = new KeyedShare(2, (k) => refused.push(k));
  expect(share.take('a')).toBe(true);
  expect(share.take('a')).toBe(true);
  expect(share.take('a')).toBe(false);
  expect(share.take('a')).toBe(false);
  expect(share.take('b')).toBe(true);
  expect(refused).toEqual(['a']);
  expect(share.take('a', true)).toBe(true);
  for (let i = 0; i < 3; i++) share.release('a');
  expect(share.take('a')).toBe(true);
  expect(share.take('a')).toBe(true);
  expect(share.take('a')).toBe(false);
  expect(refused).toEqual(['a', 'a']);
  share.release('a');
  share.release('a');
  share.release('b');
  expect(share.size).toBe(0);
});
