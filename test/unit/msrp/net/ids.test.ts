import { isIdent } from '../../../../src/msrp/wire';
import { TransactionIds } from '../../../../src/msrp/net/ids';

describe('TransactionIds (RFC 4975 section 7.1: unique transaction ids)', () => {
  test('gives distinct ids in the section 9 ident grammar', () => {
    const ids = new TransactionIds();
    const seen = new Set<string>();
    for (let k = 0; k < 5000; k++) {
      const id = ids.next();
      expect(isIdent(id)).toBe(true);
      seen.add(id);
    }
    expect(seen.size).toBe(5000);
    expect(new TransactionIds().next()).not.toBe(new TransactionIds().next());
  });
});
