// Attack finding (second limits attack, F2): a user registered ten contacts that named this
// server itself (sip:loopy@127.0.0.1:5060;x=0..9), then one MESSAGE to it forked ten ways back
// into the server at every hop until Max-Forwards ran out: ~1,500 requests a second and RSS
// 70 -> 870 MB. RFC 3261 16.3 item 4 (loop detection) and RFC 5393 (amplification) are about
// exactly this. A request is never sent to one of this server's own SIP listeners: it is
// answered 482 Loop Detected at once (counted), whatever asked for it (router, B2BUA, focus).
import { networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { canonicalSource } from './rate-limit';
import { bareHost } from './uri';

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** Addresses of this machine's interfaces (read once per call site; cheap, and interfaces change rarely). */
function localAddresses(): Set<string> {
  const out = new Set<string>(['localhost']);
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address.toLowerCase());
  return out;
}

export class SelfTargets {
  private readonly ports: Set<number>;
  private readonly addresses: Set<string>;
  private readonly anyLocal: boolean;

  /** bind: the listening address; ports: the SIP ports (UDP/TCP, TLS). */
  constructor(bind: string, ports: readonly (number | undefined)[]) {
    this.ports = new Set(ports.filter((p): p is number => p !== undefined && p > 0));
    this.anyLocal = WILDCARDS.has(bind);
    this.addresses = this.anyLocal ? localAddresses() : new Set([bind.toLowerCase(), 'localhost']);
  }

  /** True when host:port (port absent: 5060, RFC 3261 19.1.2) is one of our own listeners. */
  isSelf(host: string, port: number | undefined): boolean {
    if (!this.ports.has(port ?? 5060)) return false;
    const h = canonicalSource(bareHost(host).toLowerCase());
    // all of 127/8 is this machine; a server bound to one loopback address is reached on that one only
    if (this.anyLocal && isIP(h) === 4 && h.startsWith('127.')) return true;
    return this.addresses.has(h);
  }
}
