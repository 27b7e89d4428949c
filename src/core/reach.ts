// Where requests for a registered contact go. Decided once, at REGISTER, and kept with the
// binding so every sender (proxy, B2BUA) agrees: the Contact URI by default (RFC 3261
// 16.5/16.6), the flow the REGISTER came on when the client asked for RFC 5626 outbound,
// or the REGISTER's source address when the operator's NAT test says the Contact cannot be
// reached (what Kamailio's fix_nated_register does). Pure functions, no I/O.
import { isIP } from 'node:net';
import type { Flow, SipUri } from '../sip/message/types';
import type { Config } from '../config';
import type { Binding, BindingReach } from '../store';

/** registrar.natTest: off, contact-private, address, address-port, always (each wider than the last). */
export type NatTest = Config['registrar']['natTest'];

/** Private, shared and link-local ranges: RFC 1918, RFC 6598 (CGNAT), RFC 3927, RFC 4193, RFC 4291 fe80::/10. */
export function isPrivateAddress(host: string): boolean {
  const h = unbracket(host).toLowerCase();
  if (isIP(h) === 4) {
    const [a, b] = h.split('.').map(Number) as [number, number];
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254);
  }
  if (isIP(h) === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    if (mapped) return isPrivateAddress(mapped[1] as string);
    return /^f[cd][0-9a-f]{0,2}:/.test(h) || /^fe[89ab][0-9a-f]?:/.test(h);
  }
  return false;
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** One spelling per address, so ::ffff:192.0.2.1 and 192.0.2.1 compare equal. */
function sameAddress(a: string, b: string): boolean {
  const norm = (x: string) => unbracket(x).toLowerCase().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  return norm(a) === norm(b);
}

/**
 * The transport target a Contact URI names (RFC 3263 4 for an address; default port 5060/5061).
 * sips: or transport=tls (RFC 3261 26.2.2, 19.1.4) is TCP carried over TLS: a secure flow.
 */
export function contactTarget(uri: SipUri): Flow {
  const transport = (uri.params.transport ?? 'udp').toUpperCase();
  const address = unbracket(uri.host);
  if (uri.scheme === 'sips' || transport === 'TLS') return { protocol: 'TCP', address, port: uri.port ?? 5061, secure: true };
  const protocol = transport === 'TCP' ? 'TCP' : 'UDP';
  return { protocol, address, port: uri.port ?? 5060 };
}

/** True when the NAT test says the Contact cannot be reached and the source address should be used. */
export function natSuspected(test: NatTest, contact: Flow, source: Flow): boolean {
  switch (test) {
    case 'off':
      return false;
    case 'always':
      return true;
    // A private Contact seen from another address sits behind a NAT: nothing routes to it from here.
    case 'contact-private':
      return isPrivateAddress(contact.address) && !sameAddress(contact.address, source.address);
    case 'address':
      return !sameAddress(contact.address, source.address);
    case 'address-port':
      return !sameAddress(contact.address, source.address) || contact.port !== source.port;
  }
}

/**
 * How a new binding is reached. RFC 5626 6: a Contact with +sip.instance and reg-id asks for
 * outbound, honoured only when this box is the first hop (a single Via); otherwise the NAT test.
 */
export function decideReach(input: { outbound: boolean; natTest: NatTest; contact: Flow; source: Flow }): BindingReach | undefined {
  if (input.outbound) return 'outbound';
  return natSuspected(input.natTest, input.contact, input.source) ? 'nat' : undefined;
}

/**
 * The flows to try, in order, for one binding (503 from one moves to the next):
 * - outbound / nat: only the flow (address, port, transport) the REGISTER came from;
 * - Contact over TCP: the registering connection first while it may still be open (clients
 *   behind NAT expect it to be reused), then the Contact URI when it names another target;
 * - Contact over UDP: the Contact URI alone (RFC 3261 16.6 step 6).
 */
export function targetsOf(b: Binding, parseUri: (text: string) => SipUri | undefined): Flow[] {
  const source: Flow = { protocol: b.received.protocol, address: b.received.address, port: b.received.port };
  if (b.reach === 'outbound' || b.reach === 'nat') return [source];
  const uri = parseUri(b.contact);
  // A Contact that is not a SIP URI was refused at REGISTER; keep the source as a last resort.
  if (!uri) return [source];
  const contact = contactTarget(uri);
  if (source.protocol !== 'TCP') return [contact];
  const same = contact.protocol === 'TCP' && sameAddress(contact.address, source.address) && contact.port === source.port;
  // a TLS Contact naming the registering connection itself: that connection, redialled with TLS if gone
  if (same) return [contact.secure ? { ...source, secure: true } : source];
  return [source, contact];
}
