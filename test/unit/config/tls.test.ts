// TLS configuration (issue 11 item 1, DESIGN "Fixed points"): --tls-cert / --tls-key (and the
// same as keys, from a file, the environment or a board profile) turn TLS on, --sips-port and
// --msrps-port choose its ports, and every problem with the files names the key to fix.
import path from 'node:path';
import { DEFAULT_CONFIG, loadBoardProfile, loadConfig, loadTlsMaterial, tlsOn } from '../../../src/config';
import { certDir, makeCert, type TestCert } from '../../helpers/tls-cert';
import { configError, tempDir } from './helpers';

let certs: ReturnType<typeof certDir>;
let good: TestCert;
let other: TestCert;

beforeAll(() => {
  certs = certDir();
  good = makeCert(certs.dir, 'good');
  other = makeCert(certs.dir, 'other');
});
afterAll(() => certs.cleanup());

describe('keys and flags', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => {
    t = tempDir();
    t.write('bench-x86.yaml', '{}\n');
  });
  afterEach(() => t.cleanup());

  it('TLS is off by default; the TLS ports default to 5061 (SIP) and 2856 (MSRP)', () => {
    expect(tlsOn(DEFAULT_CONFIG)).toBe(false);
    expect(DEFAULT_CONFIG.sip.tlsPort).toBe(5061);
    expect(DEFAULT_CONFIG.msrp.tlsPort).toBe(2856);
    expect(DEFAULT_CONFIG.tls).toEqual({ cert: '', key: '', ca: '', verifyPeer: true, handshakeTimeoutMs: 10_000, maxHandshakesPerSource: 4 });
    expect(loadTlsMaterial(DEFAULT_CONFIG)).toBeUndefined();
  });

  it('--tls-cert, --tls-key, --sips-port and --msrps-port set tls.cert, tls.key, sip.tlsPort and msrp.tlsPort; relative files are taken from the working directory', () => {
    const cfg = loadConfig({ flags: { tlsCert: 'etc/box.crt', tlsKey: '/etc/box.key', sipsPort: '0', msrpsPort: 7777 }, env: {}, cwd: '/srv/imedge', boardDir: t.dir });
    expect(cfg.tls.cert).toBe(path.resolve('/srv/imedge', 'etc/box.crt'));
    expect(cfg.tls.key).toBe('/etc/box.key');
    expect(cfg.sip.tlsPort).toBe(0);
    expect(cfg.msrp.tlsPort).toBe(7777);
    expect(tlsOn(cfg)).toBe(true);
  });

  it('a bad TLS port names its flag', () => {
    expect(configError(() => loadConfig({ flags: { sipsPort: '70000' }, env: {}, boardDir: t.dir })).key).toBe('--sips-port');
    expect(configError(() => loadConfig({ flags: { msrpsPort: 'x' }, env: {}, boardDir: t.dir })).key).toBe('--msrps-port');
  });

  it('the environment and a config file set the same keys', () => {
    const cfg = loadConfig({ env: { IMEDGE_TLS__CERT: '/a.crt', IMEDGE_TLS__KEY: '/a.key', IMEDGE_TLS__VERIFY_PEER: 'false' }, boardDir: t.dir });
    expect(cfg.tls).toMatchObject({ cert: '/a.crt', key: '/a.key', verifyPeer: false });
    const file = t.write('c.yaml', 'tls:\n  cert: /b.crt\n  key: /b.key\n  ca: /ca.pem\nsip:\n  tlsPort: 5071\n');
    const fromFile = loadConfig({ flags: { config: file }, env: {}, boardDir: t.dir });
    expect(fromFile.tls).toMatchObject({ cert: '/b.crt', key: '/b.key', ca: '/ca.pem' });
    expect(fromFile.sip.tlsPort).toBe(5071);
  });

  it('a board profile may point at a device certificate', () => {
    t.write('modem-x.yaml', '# a modem with a device certificate\ntls:\n  cert: /etc/imedge/device.crt\n  key: /etc/imedge/device.key\n');
    expect(loadBoardProfile('modem-x', t.dir)).toMatchObject({ tls: { cert: '/etc/imedge/device.crt' } });
    const cfg = loadConfig({ flags: { board: 'modem-x' }, env: {}, boardDir: t.dir });
    expect(cfg.tls.key).toBe('/etc/imedge/device.key');
  });

  it('a certificate without its key (or the other way round) names the missing key', () => {
    const e = configError(() => loadConfig({ flags: { tlsCert: '/a.crt' }, env: {}, boardDir: t.dir }));
    expect(e.key).toBe('tls.key');
    expect(e.message).toContain('--tls-key');
    expect(configError(() => loadConfig({ env: { IMEDGE_TLS__KEY: '/a.key' }, boardDir: t.dir })).key).toBe('tls.cert');
  });

  it('a TLS port equal to the plain one is refused, naming the TLS key', () => {
    const tls = { tlsCert: '/a.crt', tlsKey: '/a.key' };
    expect(configError(() => loadConfig({ flags: { ...tls, sipPort: 5070, sipsPort: 5070 }, env: {}, boardDir: t.dir })).key).toBe('sip.tlsPort');
    expect(configError(() => loadConfig({ flags: { ...tls, msrpPort: 2900, msrpsPort: 2900 }, env: {}, boardDir: t.dir })).key).toBe('msrp.tlsPort');
    // 0 twice is two free ports, not a clash
    expect(loadConfig({ flags: { ...tls, sipPort: 0, sipsPort: 0 }, env: {}, boardDir: t.dir }).sip.tlsPort).toBe(0);
  });
});

describe('loadTlsMaterial: the files, checked at start-up', () => {
  const cfgWith = (tls: Partial<typeof DEFAULT_CONFIG.tls>) => ({ tls: { ...DEFAULT_CONFIG.tls, ...tls } });
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('a matching certificate and key load, with the CAs to verify peers (system ones + tls.ca)', () => {
    const m = loadTlsMaterial(cfgWith({ cert: good.certFile, key: good.keyFile, ca: other.certFile }))!;
    expect(m.cert.equals(good.cert)).toBe(true);
    expect(m.key.equals(good.key)).toBe(true);
    expect(m.ca.length).toBeGreaterThan(1);
    expect(String(m.ca[m.ca.length - 1])).toContain('BEGIN CERTIFICATE');
    expect(m.subject).toBe('CN=localhost');
    expect(m.outOfDate).toBe(false);
    expect(m.verifyPeer).toBe(true);
    // valid one day: a week from now it is out of date (logged as a warning, not refused)
    expect(loadTlsMaterial(cfgWith({ cert: good.certFile, key: good.keyFile }), new Date(Date.now() + 7 * 86_400_000))!.outOfDate).toBe(true);
  });

  it('a missing or unreadable certificate names tls.cert', () => {
    const e = configError(() => loadTlsMaterial(cfgWith({ cert: path.join(t.dir, 'nope.crt'), key: good.keyFile })));
    expect(e.key).toBe('tls.cert');
    expect(e.message).toContain('ENOENT');
    expect(configError(() => loadTlsMaterial(cfgWith({ cert: t.dir, key: good.keyFile }))).key).toBe('tls.cert');
  });

  it('a file that is not a PEM certificate names tls.cert', () => {
    const junk = t.write('junk.crt', 'hello\n');
    expect(configError(() => loadTlsMaterial(cfgWith({ cert: junk, key: good.keyFile }))).message).toContain('not a PEM file');
    const broken = t.write('broken.crt', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    const e = configError(() => loadTlsMaterial(cfgWith({ cert: broken, key: good.keyFile })));
    expect(e.key).toBe('tls.cert');
    expect(e.message).toContain('no valid certificate');
  });

  it('a missing, broken or foreign key names tls.key', () => {
    expect(configError(() => loadTlsMaterial(cfgWith({ cert: good.certFile, key: path.join(t.dir, 'nope.key') }))).key).toBe('tls.key');
    const broken = t.write('broken.key', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    expect(configError(() => loadTlsMaterial(cfgWith({ cert: good.certFile, key: broken }))).key).toBe('tls.key');
    const e = configError(() => loadTlsMaterial(cfgWith({ cert: good.certFile, key: other.keyFile })));
    expect(e.key).toBe('tls.key');
    expect(e.message).toContain('is not the private key of the certificate');
  });

  it('a tls.ca file without a certificate names tls.ca', () => {
    const junk = t.write('ca.pem', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    expect(configError(() => loadTlsMaterial(cfgWith({ cert: good.certFile, key: good.keyFile, ca: junk }))).key).toBe('tls.ca');
  });
});
