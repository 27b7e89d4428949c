import { isTlsMedia, legProto, msrpMediaOf, relayAnswer, relayOffer, transportChange } from '../../../../src/im/participating/media';

const sdp = (proto: string, scheme: string) =>
  Buffer.from(
    ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=message 9 ${proto} *`, 'a=accept-types:text/plain', `a=path:${scheme}://127.0.0.1:9/abc;tcp`, ''].join('\r\n'),
  );

test('attack finding: with TLS off, an offer of MSRP over TLS only (TCP/TLS/MSRP) is unacceptable media, 488 — never a 500 (RFC 3264 6)', () => {
  expect(msrpMediaOf('application/sdp', sdp('TCP/TLS/MSRP', 'msrps'))).toEqual({ ok: false, status: 488, reason: 'MSRP over TLS (TCP/TLS/MSRP) is not offered here' });
});

test('a plain TCP/MSRP offer is taken', () => {
  expect(msrpMediaOf('application/sdp', sdp('TCP/MSRP', 'msrp')).ok).toBe(true);
});

describe('MSRP over TLS per leg (RFC 4975 6, 8.1)', () => {
  const listen = { address: '127.0.0.1', port: 2855, tlsPort: 2856 };
  const offer = (proto: string, scheme: string) => {
    const r = msrpMediaOf('application/sdp', sdp(proto, scheme), true);
    if (!r.ok) throw new Error(r.reason);
    return r.media;
  };

  test('with TLS on, a TCP/TLS/MSRP offer is taken', () => {
    expect(offer('TCP/TLS/MSRP', 'msrps').proto).toBe('TCP/TLS/MSRP');
    expect(isTlsMedia(offer('TCP/TLS/MSRP', 'msrps'))).toBe(true);
    expect(isTlsMedia(offer('TCP/MSRP', 'msrp'))).toBe(false);
  });

  test('RFC 4975 8.1: an msrps: leg is offered TCP/TLS/MSRP on the TLS port, an msrp: leg TCP/MSRP on the TCP port', () => {
    const from = offer('TCP/MSRP', 'msrp');
    const tlsBody = relayOffer(from, 'msrps://127.0.0.1:2856/leg1;tcp', listen, 'abcdef012345', 1).toString();
    expect(tlsBody).toContain('m=message 2856 TCP/TLS/MSRP *');
    expect(tlsBody).toContain('a=path:msrps://127.0.0.1:2856/leg1;tcp');
    const tcpBody = relayOffer(from, 'msrp://127.0.0.1:2855/leg2;tcp', listen, 'abcdef012345', 2).toString();
    expect(tcpBody).toContain('m=message 2855 TCP/MSRP *');
    expect(legProto('msrps://h:1/x;tcp')).toBe('TCP/TLS/MSRP');
    expect(legProto('msrp://h:1/x;tcp')).toBe('TCP/MSRP');
  });

  test('RFC 3264 6: the answer to a TLS caller is TCP/TLS/MSRP on the TLS port whatever the other leg uses', () => {
    const caller = offer('TCP/TLS/MSRP', 'msrps');
    const callee = offer('TCP/MSRP', 'msrp');
    const a = relayAnswer(caller, callee, 'msrps://127.0.0.1:2856/leg1;tcp', listen, 'abcdef012345', 3);
    expect(a.ok).toBe(true);
    if (a.ok) expect(a.body.toString()).toContain('m=message 2856 TCP/TLS/MSRP *');
  });

  test('RFC 3264 6: a re-offer that moves a leg between TCP and TLS is 488, never a 500', () => {
    const caller = offer('TCP/MSRP', 'msrp');
    const callee = offer('TCP/MSRP', 'msrp');
    expect(relayAnswer(caller, callee, 'msrps://127.0.0.1:2856/leg1;tcp', listen, 'abcdef012345', 4)).toEqual({
      ok: false,
      status: 488,
      reason: 'MSRP transport TCP/MSRP where TCP/TLS/MSRP was set up',
    });
    expect(transportChange(offer('TCP/TLS/MSRP', 'msrps'), 'msrp://h:1/x;tcp')).toBe('MSRP transport TCP/TLS/MSRP where TCP/MSRP was set up');
    expect(transportChange(callee, 'msrp://h:1/x;tcp')).toBeUndefined();
  });
});
