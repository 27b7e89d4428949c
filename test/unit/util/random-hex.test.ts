import { randomBase64url, randomHex } from '../../../src/util/random-hex';

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

  test('base64url: 4 characters per 3 bytes, no padding, the URI-safe alphabet, never the same twice', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const id = randomBase64url(12); // an MSRP session-id (RFC 4975 section 14.1: 80+ bits)
      expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
      seen.add(id);
      expect(randomHex(3)).toMatch(/^[0-9a-f]{6}$/); // both draw on the one pool
    }
    expect(seen.size).toBe(5000);
    expect(randomBase64url(9)).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(() => randomBase64url(0)).toThrow(RangeError);
  });
});
