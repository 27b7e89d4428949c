import { DEFAULT_CONFIG, authRequired, isLoopback, parseKickByte } from '../../../src/config';

describe('isLoopback', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost'])('%s is loopback', (a) => {
    expect(isLoopback(a)).toBe(true);
  });

  it.each(['0.0.0.0', '::', '10.0.0.1', '192.168.1.10', '::ffff:10.0.0.1', 'fe80::1', 'example.org', ''])('%s is not loopback', (a) => {
    expect(isLoopback(a)).toBe(false);
  });
});

describe('authRequired (DESIGN.md: open registration only while every listener is on loopback)', () => {
  it('auto on loopback: not required', () => {
    expect(authRequired(DEFAULT_CONFIG)).toBe(false);
  });
  it('auto on any other address: required', () => {
    expect(authRequired({ ...DEFAULT_CONFIG, bind: '0.0.0.0' })).toBe(true);
  });
  it('required on loopback: required', () => {
    expect(authRequired({ ...DEFAULT_CONFIG, auth: { ...DEFAULT_CONFIG.auth, mode: 'required' } })).toBe(true);
  });
});

describe('parseKickByte', () => {
  it('reads one character or \\xNN', () => {
    expect(parseKickByte('\n')).toBe(0x0a);
    expect(parseKickByte('U')).toBe(0x55);
    expect(parseKickByte('\\x55')).toBe(0x55);
    expect(parseKickByte('\\xff')).toBe(0xff);
  });
  it('refuses anything else', () => {
    expect(parseKickByte('')).toBeUndefined();
    expect(parseKickByte('ab')).toBeUndefined();
    expect(parseKickByte('\\x5')).toBeUndefined();
    expect(parseKickByte('€')).toBeUndefined();
  });
});
