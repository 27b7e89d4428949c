/**
 * The files behind tls.cert, tls.key and tls.ca, read and checked once at start-up. Every
 * problem (missing, unreadable, not PEM, a key that is not the certificate's) is a
 * ConfigError naming the key, so `imedge serve` exits with the configuration exit code and
 * a line that says which setting to fix.
 */
import { readFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { ConfigError } from './errors';
import { tlsOn } from './rules';
import type { Config } from './schema';

/** A certificate chain or a key is a few KiB; anything far larger is not one. */
const MAX_PEM_BYTES = 1024 * 1024;

export interface TlsMaterial {
  /** PEM certificate chain of this box (leaf first). */
  readonly cert: Buffer;
  readonly key: Buffer;
  /** CAs trusted when imedge dials a TLS peer: the system ones plus tls.ca. */
  readonly ca: readonly (string | Buffer)[];
  readonly verifyPeer: boolean;
  readonly handshakeTimeoutMs: number;
  /** For the start-up log: the leaf's subject, expiry, and whether it is outside its validity now. */
  readonly subject: string;
  readonly validTo: string;
  readonly outOfDate: boolean;
}

function readPem(file: string, key: string): Buffer {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
    throw new ConfigError(key, `${key}: cannot read ${file} (${reason})`, file);
  }
  if (buf.length > MAX_PEM_BYTES) throw new ConfigError(key, `${key}: ${file} is larger than ${MAX_PEM_BYTES} bytes, not a PEM file`, file);
  if (!buf.includes('-----BEGIN ')) throw new ConfigError(key, `${key}: ${file} is not a PEM file (no "-----BEGIN" line)`, file);
  return buf;
}

function certificate(pem: Buffer | string, key: string, file: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (e) {
    throw new ConfigError(key, `${key}: ${file} holds no valid certificate (${e instanceof Error ? e.message : String(e)})`, file);
  }
}

function privateKey(pem: Buffer, file: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (e) {
    throw new ConfigError('tls.key', `tls.key: ${file} holds no usable private key (${e instanceof Error ? e.message : String(e)}); an encrypted key is not supported`, file);
  }
}

/** Every certificate of a PEM bundle (tls.ca). */
function bundle(pem: Buffer, file: string): string[] {
  const blocks = pem.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new ConfigError('tls.ca', `tls.ca: ${file} holds no certificate`, file);
  for (const b of blocks) certificate(b, 'tls.ca', file);
  return blocks;
}

/** Reads the TLS files of the configuration; undefined when TLS is off. Throws ConfigError naming the key. */
export function loadTlsMaterial(cfg: Pick<Config, 'tls'>, now: Date = new Date()): TlsMaterial | undefined {
  if (!tlsOn(cfg)) return undefined;
  const t = cfg.tls;
  const certPem = readPem(t.cert, 'tls.cert');
  const leaf = certificate(certPem, 'tls.cert', t.cert);
  const keyPem = readPem(t.key, 'tls.key');
  const key = privateKey(keyPem, t.key);
  if (!leaf.checkPrivateKey(key)) {
    throw new ConfigError('tls.key', `tls.key: ${t.key} is not the private key of the certificate in ${t.cert} (tls.cert)`, t.key);
  }
  const extra = t.ca === '' ? [] : bundle(readPem(t.ca, 'tls.ca'), t.ca);
  const from = Date.parse(leaf.validFrom);
  const to = Date.parse(leaf.validTo);
  return {
    cert: certPem,
    key: keyPem,
    ca: [...rootCertificates, ...extra],
    verifyPeer: t.verifyPeer,
    handshakeTimeoutMs: t.handshakeTimeoutMs,
    subject: leaf.subject.replace(/\n/g, ', '),
    validTo: leaf.validTo,
    outOfDate: now.getTime() < from || now.getTime() > to,
  };
}
