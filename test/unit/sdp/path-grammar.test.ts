// Issue 16 item 3: the SDP layer and the MSRP layer must agree on every a=path URI, or a path
// the offer/answer check lets through makes the relay throw later (session leak).
import fc from 'fast-check';
import { parseSdp, findMsrpMedia, isMsrpUri } from '../../../src/sdp';
import { msrpMediaProblem } from '../../../src/sdp/answer';
import { parseMsrpUri } from '../../../src/msrp/wire/uri';
import { SdpError } from '../../../src/sdp/errors';
import { BASE, replaced } from './helpers';

const pathLine = (uri: string) => replaced('a=path:', `a=path:${uri}`);

describe('RFC 4975 section 9 / 8.2: one MSRP URI grammar for a=path', () => {
  test.each([
    'msrp://x;y@127.0.0.1:9/bs;tcp',
    'msrp://[::::]:9/b6;tcp',
    'msrp://[1:2:3:4:5:6:7:8:9]:9/b;tcp',
    'msrp://h:9/s;tcp;a=b=c',
  ])('RFC 4975 section 9: %s, refused by the MSRP URI parser, is refused by the SDP parser too', (uri) => {
    expect(parseMsrpUri(uri)).toBeUndefined();
    expect(() => parseSdp(pathLine(uri))).toThrow(SdpError);
  });

  test.each([
    'msrp://atlanta.example.com:7654/jshA7weztas;tcp',
    'msrps://u%20x@[2001:db8::10]:52000/lm0001;tcp;x=y',
    'msrp://[::ffff:192.0.2.1]/s;tcp',
  ])('RFC 4975 section 9: %s is accepted by both', (uri) => {
    expect(parseMsrpUri(uri)).toBeDefined();
    expect(parseSdp(pathLine(uri)).media[0].path).toEqual([uri]);
  });

  test.each([
    ['msrp://h:9/s;udp', 'a=path transport "udp" is not tcp'],
    ['msrps://h:9/s;tcp', 'a=path scheme msrps: does not match TCP/MSRP'],
  ])('RFC 4975 6 / 8.1: a first hop %s on an m=message TCP/MSRP line is no usable stream (%s)', (uri, why) => {
    const m = parseSdp(pathLine(uri)).media[0];
    expect(msrpMediaProblem(m)).toBe(why);
    expect(findMsrpMedia(parseSdp(pathLine(uri)))).toBeUndefined();
  });

  test('RFC 4975 8.1: msrp: on a TCP/TLS/MSRP line is refused too; msrps: there is taken', () => {
    const tls = (uri: string) => parseSdp(replaced('a=path:', `a=path:${uri}`).replace('TCP/MSRP', 'TCP/TLS/MSRP')).media[0];
    expect(msrpMediaProblem(tls('msrp://h:9/s;tcp'))).toBe('a=path scheme msrp: does not match TCP/TLS/MSRP');
    expect(msrpMediaProblem(tls('msrps://h:9/s;TCP'))).toBeUndefined();
  });

  test('RFC 4975 section 9: isMsrpUri agrees with the MSRP URI parser on arbitrary URI-shaped text', () => {
    const piece = fc.constantFrom('msrp://', 'msrps://', 'x', 'y', '@', ';', ':', '[', ']', '::', '/', '9', '127.0.0.1', 'tcp', '=', '%20', '.', '-', 'ffff', 'b6');
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 12 }), (parts) => {
        const text = (parts[0].startsWith('msrp') ? '' : 'msrp://') + parts.join('');
        expect(isMsrpUri(text)).toBe(parseMsrpUri(text) !== undefined);
      }),
      { numRuns: 3000 },
    );
  });

  test('BASE stays a valid offer', () => {
    expect(findMsrpMedia(parseSdp(BASE.join('\r\n') + '\r\n'))?.path).toHaveLength(1);
  });
});
