import path from 'node:path';
import { DEFAULT_CONFIG, loadConfig, type FlagValues } from '../../../src/config';
import { tempDir } from './helpers';

describe('precedence: defaults < board profile < config file < environment < flags', () => {
  let t: ReturnType<typeof tempDir>;
  let file: string;
  beforeEach(() => {
    t = tempDir();
    t.write('lab.yaml', 'sip:\n  port: 5001\n  maxTransactions: 100\nmsrp:\n  ringBytes: 8192\n');
    file = t.write('imedge.yaml', 'board: lab\nsip:\n  port: 5002\nmsrp:\n  port: 2900\n');
  });
  afterEach(() => t.cleanup());

  const load = (opts: { env?: NodeJS.ProcessEnv; flags?: Partial<FlagValues> }) =>
    loadConfig({ env: opts.env ?? {}, flags: opts.flags ?? {}, boardDir: t.dir, cwd: t.dir });

  it('a key set nowhere keeps its embedded default', () => {
    expect(load({ flags: { config: file } }).sip.maxContentLength).toBe(DEFAULT_CONFIG.sip.maxContentLength);
  });

  it('the board profile overrides the defaults', () => {
    expect(load({ flags: { board: 'lab' } }).sip.port).toBe(5001);
  });

  it('the config file overrides the board profile', () => {
    const cfg = load({ flags: { config: file } });
    expect(cfg.board).toBe('lab');
    expect(cfg.sip.port).toBe(5002);
    expect(cfg.sip.maxTransactions).toBe(100);
  });

  it('the environment overrides the config file', () => {
    expect(load({ flags: { config: file }, env: { IMEDGE_SIP__PORT: '5003' } }).sip.port).toBe(5003);
  });

  it('flags override the environment', () => {
    expect(load({ flags: { config: file, sipPort: 5004 }, env: { IMEDGE_SIP__PORT: '5003' } }).sip.port).toBe(5004);
  });

  it('sections merge key by key across layers', () => {
    const cfg = load({ flags: { config: file } });
    expect(cfg.msrp.ringBytes).toBe(8192);
    expect(cfg.msrp.port).toBe(2900);
    expect(cfg.msrp.maxConnections).toBe(DEFAULT_CONFIG.msrp.maxConnections);
  });

  it('the board is chosen by flag over environment over file', () => {
    t.write('other.yaml', 'sip:\n  port: 5009\n');
    t.write('bench-x86.yaml', '{}\n');
    expect(load({ flags: { config: file }, env: { IMEDGE_BOARD: 'other' } }).board).toBe('other');
    expect(load({ flags: { config: file, board: 'bench-x86' }, env: { IMEDGE_BOARD: 'other' } }).sip.port).toBe(5002);
    expect(load({ flags: { board: 'bench-x86' }, env: { IMEDGE_BOARD: 'other' } }).board).toBe('bench-x86');
  });

  it('IMEDGE_CONFIG names the config file, relative to cwd', () => {
    expect(load({ env: { IMEDGE_CONFIG: 'imedge.yaml' } }).sip.port).toBe(5002);
  });

  it('--config wins over IMEDGE_CONFIG', () => {
    const other = t.write('other.json', '{"board": "lab", "sip": {"port": 5010}}');
    expect(load({ flags: { config: other }, env: { IMEDGE_CONFIG: 'imedge.yaml' } }).sip.port).toBe(5010);
  });

  it('a JSON config file is read', () => {
    const json = t.write('imedge.json', JSON.stringify({ board: 'lab', http: { port: 0 } }));
    expect(load({ flags: { config: json } }).http.port).toBe(0);
  });

  it('an empty config file is an empty layer', () => {
    const empty = t.write('empty.yaml', '# nothing yet\n');
    expect(load({ flags: { config: empty, board: 'lab' } }).sip.port).toBe(5001);
  });

  it('dataDir is resolved against cwd', () => {
    t.write('bench-x86.yaml', '{}\n');
    expect(load({}).dataDir).toBe(path.join(t.dir, 'data'));
    expect(load({ flags: { dataDir: '/var/lib/imedge' } }).dataDir).toBe('/var/lib/imedge');
  });

  it('the result is frozen', () => {
    const cfg = load({ flags: { board: 'lab' } });
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.sip)).toBe(true);
    expect(Object.isFrozen(cfg.auth.algorithms)).toBe(true);
  });

  it('the embedded defaults match the specification', () => {
    expect(DEFAULT_CONFIG).toMatchObject({
      board: 'bench-x86',
      domain: 'localhost',
      bind: '127.0.0.1',
      dataDir: './data',
      log: { level: 'info' },
      sip: { port: 5060, udp: true, tcp: true, maxBytesHeaders: 16384, maxContentLength: 65536, maxTransactions: 4096, outboundProxy: '', userAgent: 'imedge' },
      msrp: { port: 2855, maxChunkSize: 2048, maxMessageSize: 16777216, maxHeaderBytes: 8192, ringBytes: 65536, maxConnections: 1024, maxSessionsPerConnection: 64, idleTimeoutMs: 120000, transactionTimeoutMs: 30000 },
      http: { port: 8080 },
      auth: { mode: 'auto', realm: '', nonceTtlS: 300, algorithms: ['SHA-256', 'MD5'] },
      registrar: { minExpires: 60, maxExpires: 7200, defaultExpires: 3600, maxContactsPerUser: 10, sweepIntervalMs: 5000 },
      sessions: { maxTotal: 200, maxPerUser: 10, retryAfterS: 30 },
      store: { synchronous: 'FULL', cacheSizeKiB: 8192, busyTimeoutMs: 5000, batchWindowMs: 2 },
      watchdog: { enabled: false, required: false, device: '', baudRate: 115200, protocol: 'line', periodMs: 5000, timeoutS: 60, answerTimeoutMs: 2000, kickByte: '\n', reopenBackoffMs: { min: 500, max: 30000 } },
      health: { sampleIntervalMs: 30000, maxEventLoopLagMs: 2000, maxRssMiB: 256, minDiskFreeMiB: 64, maxTempC: 80, maxLoad1PerCore: 4, uplinkInterface: '', retryAfterS: 30 },
    });
  });
});
