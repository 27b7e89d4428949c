import { answerOffer, buildOffer, connectsAfterAnswer, readAnswer, type LocalMedia } from '../../../src/client/offer';
import { parseSdp, findMsrpMedia } from '../../../src/sdp';

const alice: LocalMedia = { address: '127.0.0.1', port: 40001, uri: 'msrp://127.0.0.1:40001/aaaa;tcp', sessionId: '111', version: 1 };
const bob: LocalMedia = { address: '127.0.0.1', port: 40002, uri: 'msrp://127.0.0.1:40002/bbbb;tcp', sessionId: '222', version: 1 };

function sdpWith(setup: string | undefined, extra: string[] = [], types = 'text/plain message/cpim'): Buffer {
  const lines = [
    'v=0', 'o=- 1 1 IN IP4 10.0.0.9', 's=-', 'c=IN IP4 10.0.0.9', 't=0 0', 'm=message 2855 TCP/MSRP *',
    `a=accept-types:${types}`, 'a=path:msrp://10.0.0.9:2855/relay1;tcp',
    ...(setup ? [`a=setup:${setup}`] : []), ...extra,
  ];
  return Buffer.from(lines.join('\r\n') + '\r\n');
}

test('a new offer is actpass with our path and accept-types; large message mode is sendonly (OMA IM 9.1.1)', () => {
  const m = findMsrpMedia(parseSdp(buildOffer(alice, { acceptTypes: ['text/plain'], setup: 'actpass' })))!;
  expect(m.setup).toBe('actpass');
  expect(m.path).toEqual([alice.uri]);
  expect(m.acceptTypes).toEqual(['text/plain']);
  expect(m.direction).toBe('sendrecv');
  const large = findMsrpMedia(parseSdp(buildOffer(alice, { acceptTypes: ['text/plain'], setup: 'actpass', direction: 'sendonly', maxSize: 9 })))!;
  expect(large.direction).toBe('sendonly');
  expect(large.maxSize).toBe(9);
});

test('RFC 6135: our actpass answered passive (the imedge server) -> we dial the answer path', () => {
  const r = readAnswer(sdpWith('passive'), 'actpass');
  expect(r).toMatchObject({ ok: true, connects: 'we', remotePath: ['msrp://10.0.0.9:2855/relay1;tcp'], remoteAcceptTypes: ['text/plain', 'message/cpim'] });
});

test('RFC 6135: our actpass answered active -> the peer dials us; no a=setup -> RFC 4975 5.4 offerer dials', () => {
  expect(readAnswer(sdpWith('active'), 'actpass')).toMatchObject({ ok: true, connects: 'peer' });
  expect(readAnswer(sdpWith(undefined), 'actpass')).toMatchObject({ ok: true, connects: 'we' });
  expect(readAnswer(sdpWith('actpass'), 'actpass')).toMatchObject({ ok: false });
  expect(readAnswer(Buffer.from('garbage'), 'actpass')).toMatchObject({ ok: false });
});

test('re-offers keep the role: active->passive means we still dial, passive->active the peer does', () => {
  expect(connectsAfterAnswer('active', 'passive')).toBe('we');
  expect(connectsAfterAnswer('passive', 'active')).toBe('peer');
  expect(connectsAfterAnswer('active', 'active')).toBeUndefined();
  expect(connectsAfterAnswer('passive', undefined)).toBe('peer');
});

test('RFC 6135: an offer saying passive (the server offering to a callee) -> we answer active and dial its path', () => {
  const r = answerOffer(sdpWith('passive'), bob, { acceptTypes: ['text/plain'], preferredSetup: 'passive' });
  expect(r).toMatchObject({ ok: true, connects: 'we', remotePath: ['msrp://10.0.0.9:2855/relay1;tcp'], acceptTypes: ['text/plain'], largeMessage: false });
  if (!r.ok) throw new Error('unreachable');
  const m = findMsrpMedia(parseSdp(r.sdp))!;
  expect(m.setup).toBe('active');
  expect(m.path).toEqual([bob.uri]);
  expect(m.acceptTypes).toEqual(['text/plain']);
});

test('an actpass offer from another client -> we answer passive and wait for its connection', () => {
  const offer = Buffer.from(buildOffer(alice, { acceptTypes: ['text/plain', 'message/cpim'], setup: 'actpass' }));
  const r = answerOffer(offer, bob, { acceptTypes: ['message/cpim', 'text/plain'], preferredSetup: 'passive' });
  expect(r).toMatchObject({ ok: true, connects: 'peer', remotePath: [alice.uri], acceptTypes: ['text/plain', 'message/cpim'] });
  if (!r.ok) throw new Error('unreachable');
  expect(findMsrpMedia(parseSdp(r.sdp))!.setup).toBe('passive');
});

test('OMA IM 9.1.1: a sendonly offer is large message mode, answered recvonly', () => {
  const r = answerOffer(sdpWith('actpass', ['a=sendonly']), bob, { acceptTypes: ['text/plain'], preferredSetup: 'passive' });
  expect(r).toMatchObject({ ok: true, largeMessage: true });
  if (!r.ok) throw new Error('unreachable');
  expect(findMsrpMedia(parseSdp(r.sdp))!.direction).toBe('recvonly');
});

test('no common type, holdconn or no MSRP stream: 488', () => {
  expect(answerOffer(sdpWith('actpass', [], 'image/png'), bob, { acceptTypes: ['text/plain'], preferredSetup: 'passive' })).toMatchObject({ ok: false, status: 488 });
  expect(answerOffer(sdpWith('holdconn'), bob, { acceptTypes: ['text/plain'], preferredSetup: 'passive' })).toMatchObject({ ok: false, status: 488 });
  expect(answerOffer(Buffer.from('v=0\r\n'), bob, { acceptTypes: ['text/plain'], preferredSetup: 'passive' })).toMatchObject({ ok: false, status: 488 });
});
