import fc from 'fast-check';
import { SdpError, sdpUnacceptable } from '../../../src/sdp/errors';
import { parseSdp } from '../../../src/sdp/parse';
import { BASE, replaced, sdp, sdpErrorOf } from './helpers';

describe('RFC 4566 section 5: required lines and their order', () => {
  test('missing v= is an SdpError naming v=', () => {
    const e = sdpErrorOf(() => parseSdp(sdp(...BASE.slice(1))));
    expect(e.code).toBe('SDP_MISSING_LINE');
    expect(e.reason).toBe('v= line missing (expected as line 1)');
    expect(e.line).toBe(1);
  });

  test('missing o= and missing s= are refused', () => {
    expect(sdpErrorOf(() => parseSdp(replaced('o=', undefined))).reason).toMatch(/^o= line missing/);
    expect(sdpErrorOf(() => parseSdp(replaced('s=', undefined))).reason).toMatch(/^s= line missing/);
  });

  test('missing t= is refused', () => {
    expect(sdpErrorOf(() => parseSdp(replaced('t=', undefined))).reason).toBe('t= line missing');
  });

  test('section 5.7: no c= at session level nor in the media', () => {
    const e = sdpErrorOf(() => parseSdp(replaced('c=', undefined)));
    expect(e).toMatchObject({ code: 'SDP_MISSING_LINE', reason: 'no c= line for m= section 1' });
  });

  test('section 5.1: only version 0 exists', () => {
    expect(sdpErrorOf(() => parseSdp(replaced('v=', 'v=1'))).reason).toBe('unsupported SDP version "1"');
  });

  test('an empty body, a garbage line, an unknown type letter, a stray CR', () => {
    expect(sdpErrorOf(() => parseSdp('')).reason).toBe('empty session description');
    expect(sdpErrorOf(() => parseSdp(sdp(...BASE, 'hello'))).code).toBe('SDP_SYNTAX');
    expect(sdpErrorOf(() => parseSdp(sdp(...BASE, 'x=1'))).reason).toBe('unknown line type "x="');
    expect(sdpErrorOf(() => parseSdp(sdp(...BASE, 'a=sendrecv\rb=AS:1'))).code).toBe('SDP_SYNTAX');
  });

  test('a blank line in the middle is refused, trailing blank lines are tolerated', () => {
    expect(sdpErrorOf(() => parseSdp(sdp(...BASE.slice(0, 5), '', ...BASE.slice(5)))).line).toBe(6);
    expect(parseSdp(sdp(...BASE) + '\r\n\r\n').media).toHaveLength(1);
  });

  test('a session-only line (t=) inside a media section is refused', () => {
    expect(sdpErrorOf(() => parseSdp(sdp(...BASE, 't=0 0'))).reason).toBe('t= line not allowed in a media section');
  });

  test('malformed o=, c= and t= lines', () => {
    expect(sdpErrorOf(() => parseSdp(replaced('o=', 'o=alice IN IP4 host'))).code).toBe('SDP_BAD_FIELD');
    expect(sdpErrorOf(() => parseSdp(replaced('c=', 'c=IN IPX host'))).code).toBe('SDP_BAD_FIELD');
    expect(sdpErrorOf(() => parseSdp(replaced('t=', 't=now'))).code).toBe('SDP_BAD_FIELD');
  });
});

describe('RFC 4566 section 5.14: bad m= lines', () => {
  test('too few fields', () => {
    const e = sdpErrorOf(() => parseSdp(replaced('m=', 'm=message 7654 TCP/MSRP')));
    expect(e).toMatchObject({ code: 'SDP_BAD_FIELD', line: 6 });
    expect(e.reason).toMatch(/^malformed m= line/);
  });

  test('port not a number', () => {
    const e = sdpErrorOf(() => parseSdp(replaced('m=', 'm=message abc TCP/MSRP *')));
    expect(e.reason).toBe('m= port "abc" is not a number');
  });

  test('port out of range', () => {
    expect(sdpErrorOf(() => parseSdp(replaced('m=', 'm=message 70000 TCP/MSRP *'))).reason).toBe('m= port 70000 out of range');
  });

  test('double spaces between fields', () => {
    expect(sdpErrorOf(() => parseSdp(replaced('m=', 'm=message  7654 TCP/MSRP *'))).code).toBe('SDP_BAD_FIELD');
  });
});

describe('RFC 4975 section 8 / RFC 4145 / RFC 3264: bad attribute values', () => {
  test('section 8.2: a=path with a non-MSRP URI', () => {
    const e = sdpErrorOf(() => parseSdp(replaced('a=path', 'a=path:sip:alice@atlanta.example.com')));
    expect(e).toMatchObject({ code: 'SDP_BAD_ATTRIBUTE', line: 8 });
    expect(e.reason).toBe('a=path entry "sip:alice@atlanta.example.com" is not an MSRP URI');
  });

  test('section 8.2: an MSRP URI without its transport, or with a bad port, is refused', () => {
    expect(sdpErrorOf(() => parseSdp(replaced('a=path', 'a=path:msrp://h.example.com:7654/abc'))).code).toBe('SDP_BAD_ATTRIBUTE');
    expect(sdpErrorOf(() => parseSdp(replaced('a=path', 'a=path:msrp://h.example.com:99999/abc;tcp'))).code).toBe('SDP_BAD_ATTRIBUTE');
    expect(sdpErrorOf(() => parseSdp(replaced('a=path', 'a=path:'))).reason).toBe('a=path is empty');
  });

  test('section 8.7: a=max-size not a number', () => {
    const text = sdp(...BASE, 'a=max-size:big');
    expect(sdpErrorOf(() => parseSdp(text)).reason).toBe('a=max-size "big" is not a number');
    expect(sdpErrorOf(() => parseSdp(sdp(...BASE, 'a=max-size:-1'))).code).toBe('SDP_BAD_ATTRIBUTE');
    expect(sdpErrorOf(() => parseSdp(sdp(...BASE, 'a=max-size:99999999999999999999'))).code).toBe('SDP_BAD_ATTRIBUTE');
  });

  test('section 8.6: an accept-types entry that is not a media type', () => {
    const e = sdpErrorOf(() => parseSdp(replaced('a=accept-types', 'a=accept-types:text/plain html')));
    expect(e.reason).toBe('a=accept-types entry "html" is not a media type');
    expect(sdpErrorOf(() => parseSdp(replaced('a=accept-types', 'a=accept-types:'))).reason).toBe('a=accept-types is empty');
  });

  test('RFC 4145 section 4: an unknown a=setup role', () => {
    expect(sdpErrorOf(() => parseSdp(sdp(...BASE, 'a=setup:maybe'))).reason).toBe('a=setup "maybe" is not a setup role');
  });

  test('duplicates of single-valued attributes in one media section', () => {
    expect(sdpErrorOf(() => parseSdp(sdp(...BASE, BASE[7]))).reason).toBe('more than one a=path');
    expect(sdpErrorOf(() => parseSdp(sdp(...BASE, 'a=sendonly', 'a=recvonly'))).code).toBe('SDP_BAD_ATTRIBUTE');
  });

  test('RFC 3264 section 5.1: a direction attribute carries no value', () => {
    expect(sdpErrorOf(() => parseSdp(sdp(...BASE, 'a=sendonly:yes'))).reason).toBe('a=sendonly takes no value');
  });
});

describe('limits and encoding', () => {
  test('a body over maxBytes is refused before parsing', () => {
    expect(sdpErrorOf(() => parseSdp(sdp(...BASE), { maxBytes: 50 })).code).toBe('SDP_TOO_LARGE');
  });

  test('RFC 3261 21.4.26: more m= sections than maxMedia are refused as unacceptable (488), not malformed', () => {
    const text = sdp(...BASE, BASE[5], BASE[6], BASE[7]);
    const err = sdpErrorOf(() => parseSdp(text, { maxMedia: 1 }));
    expect(err.reason).toBe('more than 1 m= sections');
    expect(err.code).toBe('SDP_TOO_MANY_MEDIA');
    expect(sdpUnacceptable(err)).toBe(true);
    expect(sdpUnacceptable(sdpErrorOf(() => parseSdp(sdp(...BASE), { maxBytes: 50 })))).toBe(false);
    expect(parseSdp(text, { maxMedia: 2 }).media).toHaveLength(2);
  });

  test('RFC 4566 section 5: a Buffer that is not UTF-8 is refused', () => {
    const bytes = Buffer.concat([Buffer.from(sdp(...BASE.slice(0, 2))), Buffer.from([0x73, 0x3d, 0xff, 0x0d, 0x0a])]);
    expect(sdpErrorOf(() => parseSdp(bytes)).code).toBe('SDP_ENCODING');
  });

  test('reasons never echo more than 64 characters of input', () => {
    const e = sdpErrorOf(() => parseSdp(replaced('a=path', `a=path:http://${'x'.repeat(500)}`)));
    expect(e.reason.length).toBeLessThan(120);
  });

  test('property: arbitrary text either parses or throws SdpError, never anything else', () => {
    const lineArb = fc.oneof(
      fc.constantFrom(...BASE, 'a=setup:actpass', 'a=max-size:12', 'm=message 0 TCP/MSRP *', 'a=sendonly'),
      fc.string({ maxLength: 30 }),
    );
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 12 }), (lines) => {
        try {
          parseSdp(sdp(...lines));
        } catch (e) {
          if (!(e instanceof SdpError)) throw e;
        }
      }),
      { numRuns: 500 },
    );
  });
});
