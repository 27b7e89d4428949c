// Where requests for a binding go (reach.ts): RFC 3261 16.5/16.6 (the Contact), RFC 5626 5.3
// (the registering flow), and the operator's NAT test (the REGISTER's source address).
import { contactTarget, decideReach, isPrivateAddress, natSuspected, targetsOf } from '../../../src/core/reach';
import { parseSipUri } from '../../../src/sip/stack';
import type { Binding } from '../../../src/store';
import type { Flow } from '../../../src/sip/message/types';

const udp = (address: string, port: number): Flow => ({ protocol: 'UDP', address, port });

function binding(over: Partial<Binding>): Binding {
  return {
    user: 'erin',
    contact: 'sip:erin@127.0.0.1:5077',
    expiresAt: Date.now() + 60_000,
    callId: 'c',
    cseq: 1,
    q: null,
    received: { protocol: 'UDP', address: '127.0.0.1', port: 40001 },
    ...over,
  };
}

describe('isPrivateAddress', () => {
  test.each(['10.1.2.3', '172.16.0.1', '172.31.255.254', '192.168.1.10', '100.64.0.1', '169.254.3.4', 'fd00::2', '[fc12::1]', 'fe80::1', '::ffff:192.168.0.9'])(
    'RFC 1918 / 6598 / 3927 / 4193 / 4291: %s is private',
    (a) => expect(isPrivateAddress(a)).toBe(true),
  );
  test.each(['127.0.0.1', '192.0.2.10', '172.32.0.1', '100.128.0.1', '2001:db8::1', '::1', 'phone.example.org'])('%s is not', (a) =>
    expect(isPrivateAddress(a)).toBe(false),
  );
});

describe('natSuspected (registrar.natTest)', () => {
  const src = udp('198.51.100.7', 40001);
  test('off never, always always', () => {
    expect(natSuspected('off', udp('10.0.0.5', 5060), src)).toBe(false);
    expect(natSuspected('always', udp('198.51.100.7', 40001), src)).toBe(true);
  });
  test('contact-private: a private Contact behind another source address', () => {
    expect(natSuspected('contact-private', udp('10.0.0.5', 5060), src)).toBe(true);
    // a LAN phone that registers from its own private address is reached on its Contact
    expect(natSuspected('contact-private', udp('10.0.0.5', 5060), udp('10.0.0.5', 40001))).toBe(false);
    // a public Contact is never suspected by this test, whatever its port
    expect(natSuspected('contact-private', udp('192.0.2.1', 5060), src)).toBe(false);
  });
  test('address: any other address; address-port: also another port', () => {
    expect(natSuspected('address', udp('192.0.2.1', 5060), src)).toBe(true);
    expect(natSuspected('address', udp('198.51.100.7', 5077), src)).toBe(false);
    expect(natSuspected('address-port', udp('198.51.100.7', 5077), src)).toBe(true);
    expect(natSuspected('address-port', udp('198.51.100.7', 40001), src)).toBe(false);
    expect(natSuspected('address-port', udp('::ffff:198.51.100.7', 40001), src)).toBe(false);
  });
});

test('RFC 5626 6: outbound wins over any NAT test; otherwise the test decides', () => {
  const contact = udp('127.0.0.1', 5077);
  const source = udp('127.0.0.1', 40001);
  expect(decideReach({ outbound: true, natTest: 'off', contact, source })).toBe('outbound');
  expect(decideReach({ outbound: false, natTest: 'address-port', contact, source })).toBe('nat');
  expect(decideReach({ outbound: false, natTest: 'contact-private', contact, source })).toBeUndefined();
});

test('RFC 3263 4: a Contact names transport, address and default port', () => {
  expect(contactTarget(parseSipUri('sip:a@192.0.2.1')!)).toEqual({ protocol: 'UDP', address: '192.0.2.1', port: 5060 });
  expect(contactTarget(parseSipUri('sip:a@192.0.2.1:5077;transport=TCP')!)).toEqual({ protocol: 'TCP', address: '192.0.2.1', port: 5077 });
});

test('RFC 3261 26.2.2 / 19.1.4: a sips: or transport=tls Contact is TCP over TLS, port 5061 by default', () => {
  expect(contactTarget(parseSipUri('sips:a@192.0.2.1')!)).toEqual({ protocol: 'TCP', address: '192.0.2.1', port: 5061, secure: true });
  expect(contactTarget(parseSipUri('sip:a@192.0.2.1:5077;transport=tls')!)).toEqual({ protocol: 'TCP', address: '192.0.2.1', port: 5077, secure: true });
});

describe('targetsOf', () => {
  test('RFC 3261 16.6 step 6: over UDP the Contact alone, never the REGISTER source port', () => {
    expect(targetsOf(binding({}), parseSipUri)).toEqual([udp('127.0.0.1', 5077)]);
  });
  test('RFC 5626 5.3: an outbound binding is reached on its flow only', () => {
    expect(targetsOf(binding({ reach: 'outbound' }), parseSipUri)).toEqual([udp('127.0.0.1', 40001)]);
  });
  test('NAT: the source address the REGISTER came from', () => {
    expect(targetsOf(binding({ reach: 'nat' }), parseSipUri)).toEqual([udp('127.0.0.1', 40001)]);
  });
  test('over TCP: the registering connection first, then the Contact when it differs', () => {
    const tcp = { protocol: 'TCP' as const, address: '127.0.0.1', port: 40002 };
    expect(targetsOf(binding({ received: tcp, contact: 'sip:erin@127.0.0.1:5077;transport=tcp' }), parseSipUri)).toEqual([
      tcp,
      { protocol: 'TCP', address: '127.0.0.1', port: 5077 },
    ]);
    expect(targetsOf(binding({ received: tcp, contact: 'sip:erin@127.0.0.1:40002;transport=tcp' }), parseSipUri)).toEqual([tcp]);
  });
});
