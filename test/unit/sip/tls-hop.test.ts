// Which requests must leave over TLS, and to where (RFC 3261 26.2.2, 19.1.4; RFC 5630).
import { tlsHopOf } from '../../../src/sip/stack';
import type { SipRequest } from '../../../src/sip/message/types';

const rq = (uri: string, route?: string): SipRequest => ({
  method: 'OPTIONS',
  uri,
  headers: route ? { route: [{ uri: route, params: {} }] } : {},
  body: Buffer.alloc(0),
});

describe('tlsHopOf', () => {
  it('RFC 3261 26.2.2: a sips: Request-URI goes over TLS, to 5061 unless a port is named', () => {
    expect(tlsHopOf(rq('sips:bob@192.0.2.7'))).toEqual({ host: '192.0.2.7', port: 5061 });
    expect(tlsHopOf(rq('sips:bob@192.0.2.7:5071'))).toEqual({ host: '192.0.2.7', port: 5071 });
  });

  it('RFC 3261 19.1.4: transport=tls on a sip: URI (any case) goes over TLS', () => {
    expect(tlsHopOf(rq('sip:bob@host.example;transport=TLS'))).toEqual({ host: 'host.example', port: 5061 });
  });

  it('RFC 3261 16.12: the top Route decides, not the Request-URI', () => {
    expect(tlsHopOf(rq('sip:bob@example.com', 'sips:proxy.example:5063;lr'))).toEqual({ host: 'proxy.example', port: 5063 });
    expect(tlsHopOf(rq('sips:bob@example.com', 'sip:proxy.example;lr'))).toBeUndefined();
  });

  it('plain sip:, transport=tcp/udp and non-SIP URIs are left to the library', () => {
    expect(tlsHopOf(rq('sip:bob@192.0.2.7'))).toBeUndefined();
    expect(tlsHopOf(rq('sip:bob@192.0.2.7;transport=tcp'))).toBeUndefined();
    expect(tlsHopOf(rq('tel:+15551234'))).toBeUndefined();
  });
});
