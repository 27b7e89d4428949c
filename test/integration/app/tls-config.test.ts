// `imedge serve` with TLS files that do not work exits with the configuration exit code (2)
// and one line naming the key to fix (issue 11 item 1); so does a TLS port already taken.
import * as net from 'node:net';
import * as path from 'node:path';
import { runCli, tempDir } from '../../helpers/server';
import { certDir, makeCert, type TestCert } from '../../helpers/tls-cert';

let certs: ReturnType<typeof certDir>;
let good: TestCert;
let other: TestCert;

beforeAll(() => {
  certs = certDir();
  good = makeCert(certs.dir, 'good');
  other = makeCert(certs.dir, 'other');
});
afterAll(() => certs.cleanup());

const serve = (...args: string[]) =>
  runCli(['serve', '--sip-port', '0', '--msrp-port', '0', '--http-port', '0', '--sips-port', '0', '--msrps-port', '0', '--data-dir', tempDir(), ...args]);

test('a missing certificate file: exit 2, the message names tls.cert and the file', async () => {
  const missing = path.join(certs.dir, 'missing.crt');
  const r = await serve('--tls-cert', missing, '--tls-key', good.keyFile);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('configuration error: tls.cert: cannot read');
  expect(r.stderr).toContain(missing);
});

test('a key that is not the certificate\'s: exit 2 naming tls.key; a certificate without a key: exit 2 naming tls.key', async () => {
  const r = await serve('--tls-cert', good.certFile, '--tls-key', other.keyFile);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/tls\.key: .* is not the private key of the certificate/);
  const alone = await serve('--tls-cert', good.certFile);
  expect(alone.code).toBe(2);
  expect(alone.stderr).toContain('tls.key: is empty while tls.cert is set');
});

test('a SIP or MSRP TLS port already taken: exit 2 naming sip.tlsPort / msrp.tlsPort', async () => {
  const busy = net.createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  const port = String((busy.address() as net.AddressInfo).port);
  try {
    const sips = await serve('--tls-cert', good.certFile, '--tls-key', good.keyFile, '--sips-port', port);
    expect(sips.code).toBe(2);
    expect(sips.stderr).toContain('(sip.tlsPort / --sips-port)');
    const msrps = await serve('--tls-cert', good.certFile, '--tls-key', good.keyFile, '--msrps-port', port);
    expect(msrps.code).toBe(2);
    expect(msrps.stderr).toContain('(msrp.tlsPort / --msrps-port)');
  } finally {
    busy.close();
  }
});
