import { msrpMediaOf } from '../../../../src/im/participating/media';

const sdp = (proto: string, scheme: string) =>
  Buffer.from(
    ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=message 9 ${proto} *`, 'a=accept-types:text/plain', `a=path:${scheme}://127.0.0.1:9/abc;tcp`, ''].join('\r\n'),
  );

test('attack finding: an offer of MSRP over TLS only (TCP/TLS/MSRP) is unacceptable media, 488 — never a 500 (RFC 3264 6)', () => {
  expect(msrpMediaOf('application/sdp', sdp('TCP/TLS/MSRP', 'msrps'))).toEqual({ ok: false, status: 488, reason: 'MSRP over TLS (TCP/TLS/MSRP) is not offered here' });
});

test('a plain TCP/MSRP offer is taken', () => {
  expect(msrpMediaOf('application/sdp', sdp('TCP/MSRP', 'msrp')).ok).toBe(true);
});
