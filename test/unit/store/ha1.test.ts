import { createHash } from 'node:crypto';
import { computeHa1, isValidHa1, isValidSipUser, MAX_USER_LENGTH } from '../../../src/store';

describe('computeHa1 (RFC 8760 §3: HA1 = H(username:realm:password))', () => {
  it('matches the RFC 2617 §3.5 MD5 vector', () => {
    expect(computeHa1('Mufasa', 'testrealm@host.com', 'Circle Of Life').md5).toBe('939e7578ed9e3c518a452acee763bce9');
  });

  it('SHA-256 equals an independent hash of the same A1 string', () => {
    const expected = createHash('sha256').update('Mufasa:testrealm@host.com:Circle Of Life').digest('hex');
    const ha1 = computeHa1('Mufasa', 'testrealm@host.com', 'Circle Of Life');
    expect(ha1.sha256).toBe(expected);
    expect(ha1.sha256).toHaveLength(64);
  });

  it('hashes non-ASCII passwords as UTF-8', () => {
    const expected = createHash('md5').update(Buffer.from('bob:r:pässwörd€', 'utf8')).digest('hex');
    expect(computeHa1('bob', 'r', 'pässwörd€').md5).toBe(expected);
  });

  it('produces values isValidHa1 accepts, and rejects malformed ones', () => {
    expect(isValidHa1(computeHa1('a', 'b', 'c'))).toBe(true);
    expect(isValidHa1({ md5: 'x'.repeat(32), sha256: '0'.repeat(64) })).toBe(false);
    expect(isValidHa1({ md5: '0'.repeat(32), sha256: '0'.repeat(63) })).toBe(false);
    expect(isValidHa1({ md5: 'A'.repeat(32), sha256: '0'.repeat(64) })).toBe(false);
  });
});

describe('isValidSipUser (RFC 3261 §25.1 user)', () => {
  it.each(['alice', 'Bob.Smith', 'a-b_c!~*\'()', '+441234&=$,;?/', 'al%20ice'])('accepts %s', (u) => {
    expect(isValidSipUser(u)).toBe(true);
  });

  it.each(['', 'al ice', 'a@b', 'a:b', 'a%2', 'a%zz', 'é', 'a<b', 'x'.repeat(MAX_USER_LENGTH + 1)])('rejects %j', (u) => {
    expect(isValidSipUser(u)).toBe(false);
  });
});
