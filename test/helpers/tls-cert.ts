// Self-signed certificates for the TLS tests, made with the openssl command (installed here),
// one temp directory per test file. The default names localhost and 127.0.0.1, so a dialler
// that trusts it (as its CA) verifies it; `san: 'DNS:elsewhere.invalid'` makes one that does
// not name the address dialled.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TestCert {
  /** Paths of the PEM files. */
  readonly certFile: string;
  readonly keyFile: string;
  /** Their contents. */
  readonly cert: Buffer;
  readonly key: Buffer;
}

export function certDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'imedge-tls-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=<cn> -days 1, with subjectAltName. */
export function makeCert(dir: string, name = 'server', opts: { cn?: string; san?: string } = {}): TestCert {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${opts.cn ?? 'localhost'}`, '-days', '1',
      '-addext', `subjectAltName=${opts.san ?? 'DNS:localhost,IP:127.0.0.1'}`,
      '-keyout', keyFile, '-out', certFile,
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}
