// The client's group helpers (OMA IM 7.1.1.6): factory body, invitee count, focus detection.
import { AdhocGroupTooLargeError } from '../../../src/client/errors';
import {
  DEFAULT_MAX_ADHOC_GROUP_SIZE,
  checkAdhocGroupSize,
  checkSipAddress,
  conferenceFactoryUri,
  factoryBody,
  invitedUsers,
  isFocusContact,
  userKey,
  withCpim,
} from '../../../src/client/group';
import { buildOffer } from '../../../src/client/offer';
import { findMsrpMedia, parseSdp } from '../../../src/sdp';
import { checkUri } from '../../../src/sip/message/grammar/uri';
import { parseMultipart } from '../../../src/sip/message/multipart';
import { parseReplaces, splitUriHeaders, withReplacesHeader } from '../../../src/sip/message/replaces';
import { parseResourceLists } from '../../../src/xml';

const local = { address: '127.0.0.1', port: 40001, uri: 'msrp://127.0.0.1:40001/aaaa;tcp', sessionId: '111', version: 1 };

test('OMA IM 7.1.1.6 step 2: the conference factory URI of the domain', () => {
  expect(conferenceFactoryUri('branch.example.com')).toBe('sip:conference-factory@branch.example.com');
});

test('OMA IM 7.1.1.6 steps 3-7 / RFC 5366 4: the factory body parses back into the SDP offer and the URI list', () => {
  const sdp = buildOffer(local, { acceptTypes: ['text/plain', 'message/cpim'], setup: 'actpass' });
  const replaced = withReplacesHeader('sip:bob@example.com', { callId: 'a1b2@10.0.0.1', toTag: 'srv-1', fromTag: 'al-9' });
  // "&" between URI headers must be escaped in the XML attribute
  const amp = withReplacesHeader('sip:dave@example.com?Subject=hi', { callId: 'c', toTag: '1', fromTag: '2' });
  const built = factoryBody(sdp, [replaced, 'sip:carol@example.com', amp]);
  expect(built.contentType).toMatch(/^multipart\/mixed;boundary=imedge-[0-9a-f]{24}$/);
  const parts = parseMultipart(built.contentType, built.body);
  expect(parts).toHaveLength(2);
  expect(parts[0].mediaType).toBe('application/sdp');
  expect(parts[0].body.toString()).toBe(sdp);
  expect(findMsrpMedia(parseSdp(parts[0].body))?.setup).toBe('actpass');
  expect(parts[1].mediaType).toBe('application/resource-lists+xml');
  expect(parts[1].headers['content-disposition']).toBe('recipient-list');
  const entries = parseResourceLists(parts[1].body).map((e) => e.uri);
  // XML escaping is the serializer's: every URI comes back as it went in
  expect(entries).toEqual([replaced, 'sip:carol@example.com', amp]);
  expect(parts[1].body.toString()).toContain('Subject=hi&amp;Replaces=');
  expect(parts[1].body.toString()).toContain('Replaces=a1b2%4010.0.0.1%3Bto-tag%3Dsrv-1%3Bfrom-tag%3Dal-9');
  expect(parseReplaces(splitUriHeaders(entries[0])!.headers.get('replaces')!)).toEqual({ callId: 'a1b2@10.0.0.1', toTag: 'srv-1', fromTag: 'al-9', earlyOnly: false });
});

test('OMA IM 7.1.1.6 step 5: invited users are counted once each, the IM User not counted', () => {
  const list = ['sip:bob@example.com', 'sip:Bob@EXAMPLE.com:5060;transport=tcp', 'sips:bob@example.com', 'sip:%62ob@example.com', 'sip:alice@example.com', 'sip:carol@example.com', 'sip:bob@example.com?Replaces=x%3Bto-tag%3D1%3Bfrom-tag%3D2'];
  // user parts are case-sensitive (RFC 3261 19.1.4): Bob is another user than bob
  expect(invitedUsers(list, 'sip:alice@example.com')).toEqual(['sip:bob@example.com', 'sip:Bob@EXAMPLE.com:5060;transport=tcp', 'sip:carol@example.com']);
  expect(userKey('sips:bob@Example.COM:5061;transport=tls?Replaces=x')).toBe('sip:bob@example.com');
});

test('OMA IM 7.1.1.6 step 5: MAX-ADHOC-GROUP-SIZE is the most invited users; one more is refused with a message for the user', () => {
  expect(DEFAULT_MAX_ADHOC_GROUP_SIZE).toBe(10);
  const ten = Array.from({ length: 10 }, (_, i) => `sip:u${i}@example.com`);
  expect(() => checkAdhocGroupSize(ten, 10)).not.toThrow();
  let err: unknown;
  try {
    checkAdhocGroupSize([...ten, 'sip:u10@example.com'], 10);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(AdhocGroupTooLargeError);
  expect(err).toMatchObject({ invited: 11, maxAdhocGroupSize: 10 });
  expect((err as Error).message).toBe('too many invited users: 11, the most an ad-hoc group may have is 10 (MAX-ADHOC-GROUP-SIZE); nothing was sent');
});

test('addresses must be SIP URIs; the encoded Replaces URI passes the SIP URI grammar', () => {
  expect(() => checkSipAddress('sip:bob@example.com')).not.toThrow();
  expect(() => checkSipAddress('tel:+123')).toThrow(RangeError);
  expect(() => checkSipAddress('sip:bob smith@example.com')).toThrow(/not a SIP address/);
  const uri = withReplacesHeader('sip:bob@example.com', { callId: 'x+y/z=@h', toTag: 'a.b', fromTag: "c'~*" });
  expect(checkUri(uri, 0, uri.length)).toEqual({ scheme: 'sip', hasHeaders: true });
});

test('RFC 4579: a Contact with ;isfocus is a focus; group offers always take message/cpim', () => {
  expect(isFocusContact([{ uri: 'sip:conf-1@h:5060;transport=tcp', params: { isfocus: null } }])).toBe(true);
  expect(isFocusContact([{ uri: 'sip:bob@h', params: {} }])).toBe(false);
  expect(isFocusContact('*')).toBe(false);
  expect(isFocusContact(undefined)).toBe(false);
  expect(withCpim(['text/plain'])).toEqual(['text/plain', 'message/cpim']);
  expect(withCpim(['text/plain', 'Message/CPIM'])).toEqual(['text/plain', 'Message/CPIM']);
  expect(withCpim(['*'])).toEqual(['*']);
});
