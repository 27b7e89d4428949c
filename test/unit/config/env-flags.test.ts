import { envName, keyTable, loadConfig } from '../../../src/config';
import { tempDir } from './helpers';

describe('environment variables', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => {
    t = tempDir();
    t.write('bench-x86.yaml', '{}\n');
  });
  afterEach(() => t.cleanup());
  const load = (env: NodeJS.ProcessEnv) => loadConfig({ env, boardDir: t.dir });

  it('names are IMEDGE_ + upper snake case, "__" between levels', () => {
    expect(envName('sip.maxContentLength')).toBe('IMEDGE_SIP__MAX_CONTENT_LENGTH');
    expect(envName('dataDir')).toBe('IMEDGE_DATA_DIR');
    expect(envName('watchdog.reopenBackoffMs.max')).toBe('IMEDGE_WATCHDOG__REOPEN_BACKOFF_MS__MAX');
    expect(envName('store.cacheSizeKiB')).toBe('IMEDGE_STORE__CACHE_SIZE_KIB');
  });

  it('every key has its own variable', () => {
    const { keys } = keyTable();
    expect(new Set(keys.map((k) => k.env)).size).toBe(keys.length);
  });

  it('integers, numbers and strings are converted to the key type', () => {
    const cfg = load({
      IMEDGE_SIP__MAX_CONTENT_LENGTH: '2048',
      IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1.5',
      IMEDGE_DOMAIN: 'example.org',
      IMEDGE_WATCHDOG__REOPEN_BACKOFF_MS__MAX: '60000',
    });
    expect(cfg.sip.maxContentLength).toBe(2048);
    expect(cfg.health.maxLoad1PerCore).toBe(1.5);
    expect(cfg.domain).toBe('example.org');
    expect(cfg.watchdog.reopenBackoffMs.max).toBe(60000);
  });

  it('booleans accept true/false/1/0', () => {
    expect(load({ IMEDGE_SIP__UDP: 'false' }).sip.udp).toBe(false);
    expect(load({ IMEDGE_SIP__UDP: '0' }).sip.udp).toBe(false);
    expect(load({ IMEDGE_SIP__TCP: 'true', IMEDGE_SIP__UDP: '1' }).sip.udp).toBe(true);
    expect(() => load({ IMEDGE_SIP__UDP: 'yes' })).toThrow(/IMEDGE_SIP__UDP/);
  });

  it('lists are comma-separated', () => {
    expect(load({ IMEDGE_AUTH__ALGORITHMS: 'MD5, SHA-256' }).auth.algorithms).toEqual(['MD5', 'SHA-256']);
    expect(load({ IMEDGE_AUTH__ALGORITHMS: 'SHA-256' }).auth.algorithms).toEqual(['SHA-256']);
    expect(() => load({ IMEDGE_AUTH__ALGORITHMS: '' })).toThrow(/IMEDGE_AUTH__ALGORITHMS/);
  });
});

describe('flags', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => {
    t = tempDir();
    t.write('bench-x86.yaml', '{}\n');
    t.write('kickboard.yaml', 'watchdog:\n  protocol: kick\n  periodMs: 2000\n  timeoutS: 45\n  answerTimeoutMs: 500\n  device: /dev/ttyS9\n');
  });
  afterEach(() => t.cleanup());

  it('--watchdog-device turns the watchdog on with the line protocol over that device', () => {
    const cfg = loadConfig({ flags: { watchdogDevice: '/dev/pts/7' }, env: {}, boardDir: t.dir });
    expect(cfg.watchdog).toMatchObject({ enabled: true, protocol: 'line', device: '/dev/pts/7' });
  });

  it('--watchdog-device keeps the timing of the board profile', () => {
    const cfg = loadConfig({ flags: { board: 'kickboard', watchdogDevice: '/dev/ttyUSB0' }, env: {}, boardDir: t.dir });
    expect(cfg.watchdog).toMatchObject({ enabled: true, protocol: 'line', device: '/dev/ttyUSB0', periodMs: 2000, timeoutS: 45, answerTimeoutMs: 500 });
  });

  it('--watchdog-device overrides a device from the environment', () => {
    const cfg = loadConfig({ flags: { watchdogDevice: '/dev/a' }, env: { IMEDGE_WATCHDOG__DEVICE: '/dev/b' }, boardDir: t.dir });
    expect(cfg.watchdog.device).toBe('/dev/a');
  });

  it('port flags accept numbers or the string typed on the command line, and 0', () => {
    const cfg = loadConfig({ flags: { sipPort: '0', msrpPort: 0, httpPort: '9090' }, env: {}, boardDir: t.dir });
    expect([cfg.sip.port, cfg.msrp.port, cfg.http.port]).toEqual([0, 0, 9090]);
  });

  it('--bind, --domain and --data-dir set their keys', () => {
    const cfg = loadConfig({ flags: { bind: '::1', domain: 'branch.example', dataDir: '/tmp/x' }, env: {}, boardDir: t.dir });
    expect([cfg.bind, cfg.domain, cfg.dataDir]).toEqual(['::1', 'branch.example', '/tmp/x']);
  });

  it('flags left undefined are not given', () => {
    const cfg = loadConfig({ flags: { sipPort: undefined, bind: undefined }, env: {}, boardDir: t.dir });
    expect(cfg.sip.port).toBe(5060);
  });
});
