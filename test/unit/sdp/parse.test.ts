import { readdirSync } from 'node:fs';
import { parseSdp } from '../../../src/sdp/parse';
import { writeSdp } from '../../../src/sdp/write';
import { BASE, FIXTURES, fixture, sdp } from './helpers';

const ALL_FIXTURES = readdirSync(FIXTURES).filter((f) => f.endsWith('.sdp'));

describe('RFC 4975 section 4 / 10.1: the RFC examples parse into the typed view', () => {
  test('section 4 offer: origin, connection, one TCP/MSRP stream', () => {
    const sd = parseSdp(fixture('rfc4975-4-overview-offer.sdp'));
    expect(sd.origin).toEqual({
      username: 'alice',
      sessionId: '2890844526',
      sessionVersion: '2890844526',
      addressType: 'IP4',
      address: 'atlanta.example.com',
    });
    expect(sd.sessionName).toBe('-');
    expect(sd.connection).toEqual({ addressType: 'IP4', address: 'atlanta.example.com' });
    expect(sd.media).toHaveLength(1);
    const m = sd.media[0];
    expect(m).toMatchObject({
      index: 0,
      type: 'message',
      port: 7654,
      proto: 'TCP/MSRP',
      formats: ['*'],
      connection: { addressType: 'IP4', address: 'atlanta.example.com' },
      acceptTypes: ['text/plain'],
      acceptWrappedTypes: [],
      maxSize: undefined,
      path: ['msrp://atlanta.example.com:7654/jshA7weztas;tcp'],
      setup: undefined,
      direction: 'sendrecv',
      fileSelector: undefined,
    });
    expect(m.attributes).toEqual([
      { name: 'accept-types', value: 'text/plain' },
      { name: 'path', value: 'msrp://atlanta.example.com:7654/jshA7weztas;tcp' },
    ]);
  });

  test('section 10.1: TCP/TLS/MSRP with an msrps: path; s= keeps its leading space', () => {
    const sd = parseSdp(fixture('rfc4975-10.1-answer.sdp'));
    expect(sd.sessionName).toBe(' -');
    expect(sd.media[0].proto).toBe('TCP/TLS/MSRP');
    expect(sd.media[0].path).toEqual(['msrps://bob.example.com:8888/9di4eae923wzd;tcp']);
  });

  test('a Buffer body is decoded as UTF-8 and gives the same view as the string', () => {
    const text = fixture('rfc4975-10.1-offer.sdp');
    expect(parseSdp(Buffer.from(text, 'utf8'))).toEqual(parseSdp(text));
  });

  test('RFC 4566 section 5: bare LF line endings are accepted too', () => {
    const text = fixture('rfc4975-4-overview-offer.sdp');
    expect(parseSdp(text.replace(/\r\n/g, '\n'))).toEqual(parseSdp(text));
  });

  test('s= is kept as text even when it looks like a number; a big session id stays exact', () => {
    const sd = parseSdp(sdp('v=0', 'o=1234 98765432109876543210 12345678901234567890 IN IP4 10.0.0.1', 's=1', 't=0 0'));
    expect(sd.sessionName).toBe('1');
    expect(sd.origin.username).toBe('1234');
    expect(sd.origin.sessionId).toBe('98765432109876543210');
    expect(sd.origin.sessionVersion).toBe('12345678901234567890');
    expect(sd.media).toEqual([]);
  });

  test('RFC 4566 sections 5.2 and 5.7: o= and c= fields come back as written (leading zeros, IPv6); a media c= overrides the session one', () => {
    const sd = parseSdp(
      sdp('v=0', 'o=0042 007 0 IN IP6 2001:db8::1', 's=-', 'c=IN IP6 2001:db8::2', 't=0 0', 'm=message 7654 TCP/MSRP *', 'c=IN IP4 192.0.2.9', 'a=path:msrp://192.0.2.9:7654/x;tcp', 'm=message 7655 TCP/MSRP *', 'a=path:msrp://[2001:db8::2]:7655/y;tcp'),
    );
    expect(sd.origin).toEqual({ username: '0042', sessionId: '007', sessionVersion: '0', addressType: 'IP6', address: '2001:db8::1' });
    expect(sd.connection).toEqual({ addressType: 'IP6', address: '2001:db8::2' });
    expect(sd.media.map((m) => m.connection)).toEqual([
      { addressType: 'IP4', address: '192.0.2.9' },
      { addressType: 'IP6', address: '2001:db8::2' },
    ]);
  });
});

describe('RFC 4975 section 8: MSRP attributes', () => {
  const sd = parseSdp(fixture('cpim-wrapped-max-size-relays-offer.sdp'));
  const m = sd.media[0];

  test('section 8.6: accept-types and accept-wrapped-types in order, parameters kept', () => {
    expect(m.acceptTypes).toEqual(['message/cpim', 'text/plain;charset=UTF-8', 'application/im-iscomposing+xml']);
    expect(m.acceptWrappedTypes).toEqual(['text/plain', 'image/*', 'message/imdn+xml']);
  });

  test('section 8.7: max-size is a number of octets', () => {
    expect(m.maxSize).toBe(1048576);
  });

  test('section 8.2 with RFC 4976 relays: path keeps every URI in order, the endpoint last', () => {
    expect(m.path).toEqual(['msrp://relay.example.net:2855/aZ2x9wq;tcp', 'msrp://192.0.2.10:2855/s8hJ3kL0p;tcp']);
  });

  test('RFC 6135: a=setup:active; RFC 3264: explicit a=sendrecv', () => {
    expect(m.setup).toBe('active');
    expect(m.direction).toBe('sendrecv');
  });

  test('an attribute we do not interpret (a=msrp-cema) stays in the raw list, in place', () => {
    expect(m.attributes.map((a) => a.name)).toEqual([
      'accept-types',
      'msrp-cema',
      'accept-wrapped-types',
      'max-size',
      'path',
      'setup',
      'sendrecv',
    ]);
    expect(m.attributes[1]).toEqual({ name: 'msrp-cema', value: undefined });
  });

  test('OMA IM 9.1.1 fixture: IPv6, sendonly, file-selector, wrapped "*"', () => {
    const lm = parseSdp(fixture('oma-im-9.1.1-large-message-offer.sdp'));
    expect(lm.origin).toMatchObject({ username: '-', addressType: 'IP6', address: '2001:db8::10' });
    expect(lm.media[0]).toMatchObject({
      connection: { addressType: 'IP6', address: '2001:db8::10' },
      direction: 'sendonly',
      setup: 'actpass',
      acceptWrappedTypes: ['*'],
      maxSize: 52428800,
      path: ['msrp://[2001:db8::10]:52000/lm0001;tcp'],
      fileSelector: 'name:"report.pdf" type:application/pdf size:20000000',
    });
  });
});

describe('RFC 4566 / RFC 3264 session-level defaults', () => {
  const sd = parseSdp(fixture('audio-then-message-offer.sdp'));

  test('RFC 4566 section 5.7: no session c=, every media has its own', () => {
    expect(sd.connection).toBeUndefined();
    expect(sd.media.map((m) => m.connection.address)).toEqual(['198.51.100.7', '198.51.100.7', '198.51.100.7']);
  });

  test('RFC 3264 section 5.1: a session-level direction applies to media without one', () => {
    expect(sd.media.map((m) => m.direction)).toEqual(['recvonly', 'recvonly', 'recvonly']);
  });

  test('RFC 4145 section 4: a session-level a=setup applies to media without one', () => {
    const withSetup = parseSdp(sdp(...BASE.slice(0, 5), 'a=setup:passive', ...BASE.slice(5)));
    expect(withSetup.media[0].setup).toBe('passive');
    const overridden = parseSdp(sdp(...BASE.slice(0, 5), 'a=setup:passive', ...BASE.slice(5), 'a=setup:active'));
    expect(overridden.media[0].setup).toBe('active');
  });

  test('media-level direction overrides the session-level one', () => {
    const text = sdp(...BASE.slice(0, 5), 'a=inactive', ...BASE.slice(5), 'a=sendonly');
    expect(parseSdp(text).media[0].direction).toBe('sendonly');
  });

  test('other media types and protocols are described, not rejected', () => {
    expect(sd.media[0]).toMatchObject({ type: 'audio', port: 49170, proto: 'RTP/AVP', formats: ['0', '8'] });
    expect(sd.media[1].port).toBe(0);
  });
});

describe('round trip: writeSdp(parseSdp(x)) keeps every line, in order', () => {
  test.each(ALL_FIXTURES)('%s comes back byte for byte', (name) => {
    const text = fixture(name);
    expect(writeSdp(parseSdp(text))).toBe(text);
  });

  test('RFC 4975 section 8 attributes keep their exact text and relative order', () => {
    const text = fixture('cpim-wrapped-max-size-relays-offer.sdp');
    const out = writeSdp(parseSdp(text)).split('\r\n');
    const msrpLines = out.filter((l) => /^a=(accept-types|accept-wrapped-types|max-size|path|msrp-cema):?/.test(l));
    expect(msrpLines).toEqual([
      'a=accept-types:message/cpim text/plain;charset=UTF-8 application/im-iscomposing+xml',
      'a=msrp-cema',
      'a=accept-wrapped-types:text/plain image/* message/imdn+xml',
      'a=max-size:1048576',
      'a=path:msrp://relay.example.net:2855/aZ2x9wq;tcp msrp://192.0.2.10:2855/s8hJ3kL0p;tcp',
    ]);
  });

  test('an unusual order (path before accept-types) is not normalised', () => {
    const text = sdp(...BASE.slice(0, 6), BASE[7], 'a=max-size:10', BASE[6]);
    expect(writeSdp(parseSdp(text))).toBe(text);
  });

  test('LF input comes back CRLF-terminated (RFC 4566 section 5)', () => {
    const text = fixture('rfc6135-actpass-offer.sdp');
    expect(writeSdp(parseSdp(text.replace(/\r\n/g, '\n')))).toBe(text);
  });
});
