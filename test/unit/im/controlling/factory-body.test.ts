// RFC 5366 4 / OMA IM 7.1.1.6 steps 3-7: reading the conference factory INVITE's body.
import fc from 'fast-check';
import { readFactoryBody } from '../../../../src/im/controlling/factory-body';
import { buildMultipart } from '../../../../src/sip/message/multipart';
import { serializeResourceLists } from '../../../../src/xml';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=message 9 TCP/MSRP *\r\na=accept-types:message/cpim\r\na=path:msrp://127.0.0.1:9/x;tcp\r\n';
const list = (uris: string[]) => serializeResourceLists(uris.map((uri) => ({ uri })));

describe('RFC 5366 4: the factory body', () => {
  test('RFC 5366 4: multipart/mixed with the SDP offer and a recipient list gives the offer and the invitees in order', () => {
    const m = buildMultipart([
      { contentType: 'application/sdp', body: SDP },
      { contentType: 'application/resource-lists+xml', headers: { 'Content-Disposition': 'recipient-list' }, body: list(['sip:b@x', 'sip:c@x']) },
    ]);
    const r = readFactoryBody(m.contentType, m.body);
    expect(r.ok && r.invitees.map((i) => i.uri)).toEqual(['sip:b@x', 'sip:c@x']);
    expect(r.ok && r.sdp.toString()).toBe(SDP);
  });

  test('OMA IM 7.1.1.6 step 8 / RFC 3891: an entry\'s "?Replaces=" URI header is decoded and split off the URI', () => {
    const rep = encodeURIComponent('abc@h;to-tag=t1;from-tag=f1');
    const m = buildMultipart([
      { contentType: 'application/sdp', body: SDP },
      { contentType: 'application/resource-lists+xml', body: list([`sip:b@x?Replaces=${rep}`]) },
    ]);
    const r = readFactoryBody(m.contentType, m.body);
    expect(r.ok && r.invitees[0]).toEqual({ uri: 'sip:b@x', replaces: { callId: 'abc@h', toTag: 't1', fromTag: 'f1', earlyOnly: false }, anonymize: false });
  });

  test.each([
    ['no body', undefined, Buffer.alloc(0), 400, /needs a multipart\/mixed body/],
    ['plain SDP', 'application/sdp', Buffer.from(SDP), 415, /needs multipart\/mixed/],
    ['no boundary', 'multipart/mixed', Buffer.from('x'), 400, /multipart body/],
  ])('RFC 5366 4: %s is refused naming what is wrong', (_n, ct, body, status, reason) => {
    const r = readFactoryBody(ct, body);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.status).toBe(status);
      expect(r.reason).toMatch(reason);
    }
  });

  test('RFC 5366 4: a missing list part, two SDP parts, a broken list or a malformed Replaces each name the part', () => {
    const noList = buildMultipart([{ contentType: 'application/sdp', body: SDP }]);
    expect(readFactoryBody(noList.contentType, noList.body)).toMatchObject({ ok: false, reason: expect.stringMatching(/no application\/resource-lists\+xml/) });
    const twoSdp = buildMultipart([{ contentType: 'application/sdp', body: SDP }, { contentType: 'application/sdp', body: SDP }, { contentType: 'application/resource-lists+xml', body: list(['sip:b@x']) }]);
    expect(readFactoryBody(twoSdp.contentType, twoSdp.body)).toMatchObject({ ok: false, reason: expect.stringMatching(/more than one application\/sdp/) });
    const broken = buildMultipart([{ contentType: 'application/sdp', body: SDP }, { contentType: 'application/resource-lists+xml', body: '<resource-lists' }]);
    expect(readFactoryBody(broken.contentType, broken.body)).toMatchObject({ ok: false, reason: expect.stringMatching(/^application\/resource-lists\+xml part: /) });
    const badRep = buildMultipart([{ contentType: 'application/sdp', body: SDP }, { contentType: 'application/resource-lists+xml', body: list(['sip:b@x?Replaces=nonsense']) }]);
    expect(readFactoryBody(badRep.contentType, badRep.body)).toMatchObject({ ok: false, reason: expect.stringMatching(/malformed Replaces/) });
  });

  test('fuzz: any content type and bytes give a result, never a throw', () => {
    fc.assert(
      fc.property(fc.option(fc.string(), { nil: undefined }), fc.uint8Array({ maxLength: 600 }), (ct, bytes) => {
        const r = readFactoryBody(ct, Buffer.from(bytes));
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 300, seed: 9 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (tail) => {
        const body = Buffer.from(`--b\r\nContent-Type: application/sdp\r\n\r\n${SDP}\r\n--b\r\nContent-Type: application/resource-lists+xml\r\n\r\n${tail}\r\n--b--\r\n`);
        expect(typeof readFactoryBody('multipart/mixed;boundary=b', body).ok).toBe('boolean');
      }),
      { numRuns: 300, seed: 10 },
    );
  });
});
