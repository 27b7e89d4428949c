import { answerFor, findMsrpMedia, isLargeMessageMode, msrpMediaProblem, type AnswerPolicy } from '../../../src/sdp/answer';
import { parseSdp } from '../../../src/sdp/parse';
import type { MediaDescription, SetupRole } from '../../../src/sdp/types';
import { buildMsrpSdp } from '../../../src/sdp/write';
import { BASE, fixture, sdp } from './helpers';

const LOCAL = { path: ['msrp://imedge.example.com:2855/s1x9;tcp'], port: 2855, address: '192.0.2.1' };
const POLICY: AnswerPolicy = { acceptTypes: ['message/cpim', 'text/plain'], acceptWrappedTypes: ['text/plain', 'message/imdn+xml'] };

function offerMedia(extra: string[] = [], base: readonly string[] = BASE): MediaDescription {
  return parseSdp(sdp(...base, ...extra)).media[0];
}

function answered(media: MediaDescription, policy: AnswerPolicy = POLICY) {
  const a = answerFor(media, LOCAL, policy);
  if (!a.ok) throw new Error(a.reason);
  return a;
}

describe('findMsrpMedia: the first acceptable m=message TCP/MSRP stream', () => {
  test('skips audio and a rejected (port 0) MSRP stream', () => {
    const m = findMsrpMedia(parseSdp(fixture('audio-then-message-offer.sdp')));
    expect(m?.index).toBe(2);
    expect(m?.path).toEqual(['msrp://198.51.100.7:4001/new;tcp']);
  });

  test('TCP/TLS/MSRP is accepted unless only TCP/MSRP is allowed', () => {
    const sd = parseSdp(fixture('rfc4975-10.1-offer.sdp'));
    expect(findMsrpMedia(sd)?.proto).toBe('TCP/TLS/MSRP');
    expect(findMsrpMedia(sd, ['TCP/MSRP'])).toBeUndefined();
  });

  test('RFC 4975 section 8.2 / 8.6: a stream without a=path or a=accept-types is not acceptable', () => {
    const noPath = parseSdp(sdp(...BASE.slice(0, 7)));
    expect(findMsrpMedia(noPath)).toBeUndefined();
    expect(msrpMediaProblem(noPath.media[0])).toBe('no a=path');
    const noTypes = parseSdp(sdp(...BASE.slice(0, 6), BASE[7]));
    expect(msrpMediaProblem(noTypes.media[0])).toBe('no a=accept-types');
  });

  test('no media at all gives undefined', () => {
    expect(findMsrpMedia(parseSdp(sdp(...BASE.slice(0, 5))))).toBeUndefined();
  });
});

describe('OMA IM 9.1.1: large message mode', () => {
  test('a=sendonly in the offer is large message mode', () => {
    const m = findMsrpMedia(parseSdp(fixture('oma-im-9.1.1-large-message-offer.sdp')));
    expect(m && isLargeMessageMode(m)).toBe(true);
  });

  test('sendrecv, recvonly and a session-level default other than sendonly are not', () => {
    expect(isLargeMessageMode(offerMedia())).toBe(false);
    expect(isLargeMessageMode(offerMedia(['a=recvonly']))).toBe(false);
  });

  test('a session-level a=sendonly applies to the media (RFC 3264 section 5.1)', () => {
    const m = offerMedia([], [...BASE.slice(0, 5), 'a=sendonly', ...BASE.slice(5)]);
    expect(isLargeMessageMode(m)).toBe(true);
  });

  test('RFC 3264 section 6.1: a sendonly offer is answered recvonly, and flagged', () => {
    const a = answered(findMsrpMedia(parseSdp(fixture('oma-im-9.1.1-large-message-offer.sdp')))!);
    expect(a.media.direction).toBe('recvonly');
    expect(a.largeMessage).toBe(true);
    expect(a.peerMaxSize).toBe(52428800);
  });
});

describe('RFC 3264 section 6.1: answer direction', () => {
  test.each([
    ['sendrecv', 'sendrecv'],
    ['sendonly', 'recvonly'],
    ['recvonly', 'sendonly'],
    ['inactive', 'inactive'],
  ])('offer a=%s -> answer a=%s', (offered, expected) => {
    expect(answered(offerMedia([`a=${offered}`])).media.direction).toBe(expected);
  });

  test('no direction in the offer means sendrecv, answered sendrecv', () => {
    expect(answered(offerMedia()).media.direction).toBe('sendrecv');
  });
});

describe('RFC 6135 section 4 / RFC 4145 section 4.1: connection setup', () => {
  const offeredPath = 'msrp://atlanta.example.com:7654/jshA7weztas;tcp';

  test.each<[SetupRole, SetupRole, 'we' | 'peer' | 'none']>([
    ['actpass', 'passive', 'peer'],
    ['active', 'passive', 'peer'],
    ['passive', 'active', 'we'],
    ['holdconn', 'holdconn', 'none'],
  ])('offer a=setup:%s -> answer a=setup:%s, connects: %s', (offered, answer, connects) => {
    const a = answered(offerMedia([`a=setup:${offered}`]));
    expect(a.media.setup).toBe(answer);
    expect(a.connects).toBe(connects);
    expect(a.connectTo).toBe(offeredPath);
  });

  test('no a=setup: the RFC 4975 model, the offerer connects; the answer carries no a=setup', () => {
    const a = answered(offerMedia());
    expect(a.connects).toBe('peer');
    expect(a.media.setup).toBeUndefined();
    expect(buildMsrpSdp({ ...a.media, origin: ORIGIN })).not.toContain('a=setup');
  });

  test('actpass with a preference for active: we answer active and dial', () => {
    const a = answerFor(offerMedia(['a=setup:actpass']), LOCAL, { ...POLICY, preferredSetup: 'active' });
    expect(a).toMatchObject({ ok: true, connects: 'we', media: { setup: 'active' } });
  });

  test('RFC 4975 section 8.2: with relays we dial the first hop of the offered path', () => {
    const m = findMsrpMedia(parseSdp(fixture('cpim-wrapped-max-size-relays-offer.sdp').replace('setup:active', 'setup:passive')))!;
    const a = answered(m);
    expect(a.connects).toBe('we');
    expect(a.connectTo).toBe('msrp://relay.example.net:2855/aZ2x9wq;tcp');
  });
});

const ORIGIN = { username: 'imedge', sessionId: '3900000000', version: '1', address: '192.0.2.1' };

describe('RFC 4975 section 8 / DESIGN 7.2.1.5: the answer media', () => {
  test('accept-types is the intersection; wrapped types too; our max-size is announced', () => {
    const m = findMsrpMedia(parseSdp(fixture('cpim-wrapped-max-size-relays-offer.sdp')))!;
    const a = answered(m, { ...POLICY, maxSize: 65536 });
    expect(a.media).toEqual({
      address: '192.0.2.1',
      port: 2855,
      proto: 'TCP/MSRP',
      acceptTypes: ['message/cpim', 'text/plain;charset=UTF-8'],
      acceptWrappedTypes: ['text/plain', 'message/imdn+xml'],
      maxSize: 65536,
      path: LOCAL.path,
      setup: 'passive',
      direction: 'sendrecv',
    });
    expect(a.peerMaxSize).toBe(1048576);
  });

  test('no common accept-types: ok false, reason given (caller answers 488)', () => {
    const a = answerFor(offerMedia([], [...BASE.slice(0, 6), 'a=accept-types:image/jpeg', BASE[7]]), LOCAL, POLICY);
    expect(a).toEqual({ ok: false, reason: 'no common accept-types' });
  });

  test('a rejected or non-MSRP stream is not answered', () => {
    const sd = parseSdp(fixture('audio-then-message-offer.sdp'));
    expect(answerFor(sd.media[0], LOCAL, POLICY)).toEqual({ ok: false, reason: 'media type is "audio", not "message"' });
    expect(answerFor(sd.media[1], LOCAL, POLICY)).toEqual({ ok: false, reason: 'stream rejected (port 0)' });
  });

  test('the answer built from answerFor parses back to what was negotiated', () => {
    const offer = findMsrpMedia(parseSdp(fixture('rfc6135-actpass-offer.sdp')))!;
    const a = answered(offer);
    const text = buildMsrpSdp({ ...a.media, origin: ORIGIN });
    expect(text).toBe(
      [
        'v=0',
        'o=imedge 3900000000 1 IN IP4 192.0.2.1',
        's=-',
        'c=IN IP4 192.0.2.1',
        't=0 0',
        'm=message 2855 TCP/MSRP *',
        'a=accept-types:text/plain',
        'a=path:msrp://imedge.example.com:2855/s1x9;tcp',
        'a=setup:passive',
        'a=sendrecv',
        '',
      ].join('\r\n'),
    );
    const back = findMsrpMedia(parseSdp(text))!;
    expect(back).toMatchObject({ acceptTypes: ['text/plain'], path: LOCAL.path, setup: 'passive', direction: 'sendrecv' });
  });
});

describe('RFC 3264 section 6: the answer has as many m= lines as the offer, in its order', () => {
  test('audio, a rejected message stream and the MSRP one: the two others answered with port 0 around ours', () => {
    const offer = findMsrpMedia(parseSdp(fixture('audio-then-message-offer.sdp')))!;
    const a = answered(offer);
    const text = buildMsrpSdp({ ...a.media, origin: ORIGIN });
    const back = parseSdp(text);
    const offered = parseSdp(fixture('audio-then-message-offer.sdp')).media;
    expect(back.media).toHaveLength(offered.length);
    back.media.forEach((m, i) => {
      expect(m.type).toBe(offered[i].type);
      expect(m.proto).toBe(offered[i].proto);
      expect(m.port).toBe(i === offer.index ? 2855 : 0);
    });
    // a rejected stream keeps the offer's formats (at least one is required) and carries no attributes
    expect(back.media[0].formats).toEqual(offered[0].formats);
    expect(back.media[0].attributes).toEqual([]);
    expect(findMsrpMedia(back)?.index).toBe(offer.index);
  });

  test('a message stream followed by audio: ours first, the audio after our attributes', () => {
    const offer = findMsrpMedia(parseSdp(sdp(...BASE, 'm=audio 49170 RTP/AVP 0 8 101', 'a=rtpmap:101 telephone-event/8000')))!;
    const text = buildMsrpSdp({ ...answered(offer).media, origin: ORIGIN });
    expect(text.split('\r\n').filter((l) => l.startsWith('m='))).toEqual(['m=message 2855 TCP/MSRP *', 'm=audio 0 RTP/AVP 0 8 101']);
    expect(text.endsWith('a=sendrecv\r\nm=audio 0 RTP/AVP 0 8 101\r\n')).toBe(true);
  });

  test('a single-stream offer is answered with one m= line', () => {
    expect(offerMedia().streams).toEqual([]);
    const text = buildMsrpSdp({ ...answered(offerMedia()).media, origin: ORIGIN });
    expect(text.split('\r\n').filter((l) => l.startsWith('m='))).toHaveLength(1);
  });

  test('buildMsrpSdp refuses a streamIndex outside the streams and a stream that is not a rejected m= value', () => {
    const base = { ...answered(offerMedia()).media, origin: ORIGIN };
    expect(() => buildMsrpSdp({ ...base, streams: ['audio 0 RTP/AVP 0', 'message 0 TCP/MSRP *'], streamIndex: 2 })).toThrow(RangeError);
    expect(() => buildMsrpSdp({ ...base, streams: ['audio 5 RTP/AVP 0', 'message 0 TCP/MSRP *'], streamIndex: 1 })).toThrow(RangeError);
    expect(() => buildMsrpSdp({ ...base, streams: ['audio 0 RTP/AVP 0\r\na=x', 'message 0 TCP/MSRP *'], streamIndex: 1 })).toThrow(RangeError);
  });
});
