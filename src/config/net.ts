/** Address helpers shared by the schema rules and the listeners. */
import { BlockList, isIP } from 'node:net';

/**
 * True when `addr` only reaches this host: 127.0.0.0/8, ::1, their
 * IPv4-mapped forms, or the name "localhost".
 */
export function isLoopback(addr: string): boolean {
  const a = addr.trim().toLowerCase();
  if (a === 'localhost') return true;
  const family = isIP(a);
  if (family === 0) return false;
  const loopback = new BlockList();
  loopback.addSubnet('127.0.0.0', 8, 'ipv4');
  loopback.addAddress('::1', 'ipv6');
  if (family === 4) return loopback.check(a, 'ipv4');
  const mapped = /^(?:0{0,4}:){0,5}(?:0{0,4}:)?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped?.[1] !== undefined) return loopback.check(mapped[1], 'ipv4');
  return loopback.check(a, 'ipv6');
}

export function isIpAddress(addr: string): boolean {
  return isIP(addr) !== 0;
}
