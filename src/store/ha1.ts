/**
 * Digest HA1 values (RFC 8760 §3 / RFC 7616 §3.4.2: HA1 = H(username ":" realm ":" password)).
 * Pure and free of better-sqlite3 so the digest authentication code can import it.
 */
import { createHash } from 'node:crypto';

export interface Ha1 {
  /** lowercase hex, 32 characters */
  readonly md5: string;
  /** lowercase hex, 64 characters */
  readonly sha256: string;
}

const MD5_HEX = /^[0-9a-f]{32}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

// RFC 8760 §3: the same A1 string is hashed with each algorithm the server offers.
export function computeHa1(user: string, realm: string, password: string): Ha1 {
  const a1 = `${user}:${realm}:${password}`;
  return {
    md5: createHash('md5').update(a1, 'utf8').digest('hex'),
    sha256: createHash('sha256').update(a1, 'utf8').digest('hex'),
  };
}

export function isValidHa1(ha1: Ha1): boolean {
  return MD5_HEX.test(ha1.md5) && SHA256_HEX.test(ha1.sha256);
}
