import { encodeArm, encodeDisarm, encodeHeartbeat, parseAnswer } from '../../../../src/device/watchdog';

describe('watchdog line protocol codec (DESIGN.md fixed points)', () => {
  it('encodes the exact command bytes, each ending in \\n', () => {
    expect(encodeArm(30).toString('latin1')).toBe('ARM 30\n');
    expect(encodeHeartbeat(7).toString('latin1')).toBe('HB 7\n');
    expect(encodeDisarm().toString('latin1')).toBe('DISARM\n');
  });

  it('parses OK ARM, OK DISARM and OK <seq> with optional uptime and reset cause', () => {
    expect(parseAnswer('OK ARM')).toEqual({ kind: 'arm' });
    expect(parseAnswer('OK DISARM\r')).toEqual({ kind: 'disarm' });
    expect(parseAnswer('OK 12')).toEqual({ kind: 'heartbeat', seq: 12, uptime: null, resetCause: null });
    expect(parseAnswer('OK 12 3600')).toEqual({ kind: 'heartbeat', seq: 12, uptime: 3600, resetCause: null });
    expect(parseAnswer('OK 12 3600 WDT')).toEqual({ kind: 'heartbeat', seq: 12, uptime: 3600, resetCause: 'WDT' });
    expect(parseAnswer('OK 12 brown out')).toEqual({ kind: 'heartbeat', seq: 12, uptime: null, resetCause: 'brown out' });
  });

  it('rejects anything else', () => {
    for (const line of ['', 'OK', 'ERR 1', 'OK ARM 3', 'OK -1', 'OK 1e3', 'ok 1', 'HB 1', '\u0000\u00ff']) {
      expect(parseAnswer(line)).toBeNull();
    }
  });
});
