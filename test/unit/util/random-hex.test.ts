import { randomHex } from '../../../src/util/random-hex';

describe('randomHex: identifiers from a pool of CSPRNG bytes', () => {
  test('2n lowercase hex digits, never the same twice across many pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const h = randomHex(12);
      expect(h).toMatch(/^[0-9a-f]{24}$/);
      seen.add(h);
    }
    expect(seen.size).toBe(5000);
    expect(randomHex(1)).toMatch(/^[0-9a-f]{2}$/);
    expect(randomHex(256)).toHaveLength(512);
  });

  test('a size outside 1..256 is refused', () => {
    for (const bad of [0, -1, 1.5, 257]) expect(() => randomHex(bad)).toThrow(RangeError);
  });
});
