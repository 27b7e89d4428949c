import { parseSdp } from '../../../src/sdp/parse';
import { buildMsrpSdp, type BuildMsrpSdpOptions } from '../../../src/sdp/write';

const OPTS: BuildMsrpSdpOptions = {
  origin: { username: 'imedge', sessionId: 2890844526, version: 2890844527n, address: 'imedge.example.com' },
  address: 'imedge.example.com',
  port: 2855,
  proto: 'TCP/MSRP',
  acceptTypes: ['message/cpim', 'text/plain'],
  path: ['msrp://imedge.example.com:2855/abc123;tcp'],
};

describe('buildMsrpSdp: RFC 4566 lines, RFC 4975 section 8 attributes in a stable order', () => {
  test('minimal offer: v/o/s/c/t/m, accept-types and path, CRLF-terminated', () => {
    expect(buildMsrpSdp(OPTS)).toBe(
      'v=0\r\n' +
        'o=imedge 2890844526 2890844527 IN IP4 imedge.example.com\r\n' +
        's=-\r\n' +
        'c=IN IP4 imedge.example.com\r\n' +
        't=0 0\r\n' +
        'm=message 2855 TCP/MSRP *\r\n' +
        'a=accept-types:message/cpim text/plain\r\n' +
        'a=path:msrp://imedge.example.com:2855/abc123;tcp\r\n',
    );
  });

  test('every attribute: accept-types, accept-wrapped-types, max-size, path, setup, direction', () => {
    const text = buildMsrpSdp({
      ...OPTS,
      acceptWrappedTypes: ['text/plain', 'image/*'],
      maxSize: 4096,
      path: ['msrp://relay.example.net:2855/r1;tcp', 'msrp://imedge.example.com:2855/abc123;tcp'],
      setup: 'passive',
      direction: 'recvonly',
      sessionName: 'IM session',
    });
    const attrs = text.split('\r\n').filter((l) => l.startsWith('a='));
    expect(attrs).toEqual([
      'a=accept-types:message/cpim text/plain',
      'a=accept-wrapped-types:text/plain image/*',
      'a=max-size:4096',
      'a=path:msrp://relay.example.net:2855/r1;tcp msrp://imedge.example.com:2855/abc123;tcp',
      'a=setup:passive',
      'a=recvonly',
    ]);
    expect(text).toContain('\r\ns=IM session\r\n');
    const m = parseSdp(text).media[0];
    expect(m).toMatchObject({ acceptWrappedTypes: ['text/plain', 'image/*'], maxSize: 4096, setup: 'passive', direction: 'recvonly' });
  });

  test('IPv6 addresses are written as IP6', () => {
    const text = buildMsrpSdp({
      ...OPTS,
      origin: { ...OPTS.origin, address: '2001:db8::1' },
      address: '2001:db8::1',
      path: ['msrp://[2001:db8::1]:2855/abc;tcp'],
    });
    expect(text).toContain('o=imedge 2890844526 2890844527 IN IP6 2001:db8::1\r\n');
    expect(text).toContain('c=IN IP6 2001:db8::1\r\n');
    expect(parseSdp(text).connection).toEqual({ addressType: 'IP6', address: '2001:db8::1' });
  });

  test('RFC 4975 section 8.1: TCP/TLS/MSRP goes with an msrps: URI', () => {
    const tls = { ...OPTS, proto: 'TCP/TLS/MSRP' as const, path: ['msrps://imedge.example.com:2855/abc;tcp'] };
    expect(buildMsrpSdp(tls)).toContain('m=message 2855 TCP/TLS/MSRP *\r\n');
    expect(() => buildMsrpSdp({ ...tls, path: OPTS.path })).toThrow(RangeError);
    expect(() => buildMsrpSdp({ ...OPTS, path: tls.path })).toThrow(RangeError);
  });

  test('options that would make invalid or injected SDP are refused with RangeError', () => {
    expect(() => buildMsrpSdp({ ...OPTS, acceptTypes: [] })).toThrow(RangeError);
    expect(() => buildMsrpSdp({ ...OPTS, acceptTypes: ['text/plain\r\na=evil'] })).toThrow(RangeError);
    expect(() => buildMsrpSdp({ ...OPTS, path: [] })).toThrow(RangeError);
    expect(() => buildMsrpSdp({ ...OPTS, path: ['sip:x@y'] })).toThrow(RangeError);
    expect(() => buildMsrpSdp({ ...OPTS, port: 70000 })).toThrow(RangeError);
    expect(() => buildMsrpSdp({ ...OPTS, maxSize: 1.5 })).toThrow(RangeError);
    expect(() => buildMsrpSdp({ ...OPTS, sessionName: 'a\r\nb' })).toThrow(RangeError);
    expect(() => buildMsrpSdp({ ...OPTS, address: 'a b' })).toThrow(RangeError);
    expect(() => buildMsrpSdp({ ...OPTS, origin: { ...OPTS.origin, sessionId: 'x1' } })).toThrow(RangeError);
  });
});
