import { resolveNetOptions } from '../../../../src/msrp/net/options';

describe('MSRP net options', () => {
  test('frameHoldMs defaults to 5 s and is taken down to half of transactionTimeoutMs (held frames go out before their senders time out)', () => {
    expect(resolveNetOptions().frameHoldMs).toBe(5000);
    expect(resolveNetOptions({ transactionTimeoutMs: 2000 }).frameHoldMs).toBe(1000);
    expect(resolveNetOptions({ frameHoldMs: 200, transactionTimeoutMs: 2000 }).frameHoldMs).toBe(200);
  });

  test('a bad value names its key', () => {
    expect(() => resolveNetOptions({ frameHoldMs: 0 })).toThrow(/frameHoldMs/);
    expect(() => resolveNetOptions({ ringBytes: 100 })).toThrow(/ringBytes/);
  });
});
