import { HealthChecks } from '../../../../src/device/health';

describe('HealthChecks registry', () => {
  it('evaluates every check in registration order and names the failing ones', () => {
    const checks = new HealthChecks(4);
    checks.register('sqlite-writable', () => ({ ok: true, detail: 'commit 2 ms ago' }));
    checks.register('sip-listeners', () => ({ ok: false, detail: 'udp 5060 closed' }));
    checks.register('msrp-listener', () => {
      throw new Error('boom');
    });
    expect(checks.evaluate()).toEqual({
      ok: false,
      checks: [
        { name: 'sqlite-writable', ok: true, detail: 'commit 2 ms ago' },
        { name: 'sip-listeners', ok: false, detail: 'udp 5060 closed' },
        { name: 'msrp-listener', ok: false, detail: 'check threw: boom' },
      ],
    });
    expect(checks.verdict()).toEqual({ ok: false, failing: ['sip-listeners', 'msrp-listener'] });
  });

  it('refuses duplicates, bad names and more checks than its limit', () => {
    const checks = new HealthChecks(1);
    checks.register('a', () => ({ ok: true }));
    expect(() => checks.register('a', () => ({ ok: true }))).toThrow(/already/);
    expect(() => checks.register('b', () => ({ ok: true }))).toThrow(/limit 1/);
    expect(() => new HealthChecks(2).register('Bad Name', () => ({ ok: true }))).toThrow(RangeError);
    expect(checks.unregister('a')).toBe(true);
    expect(checks.verdict()).toEqual({ ok: true, failing: [] });
  });
});
