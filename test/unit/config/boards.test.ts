import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_CONFIG, defaultBoardDir, listBoards, loadBoardProfile, loadConfig } from '../../../src/config';
import { configError, tempDir } from './helpers';

const REPO_BOARDS = path.resolve(__dirname, '../../../board');

describe('board profiles in board/', () => {
  const boards = listBoards(REPO_BOARDS);

  it('include the five supported boards', () => {
    expect(boards).toEqual(expect.arrayContaining(['bench-x86', 'modem-board', 'rpi-zero2w', 'rpi4', 'rpi5']));
  });

  it.each(boards)('%s validates against the schema and loads into a full configuration', (name) => {
    const profile = loadBoardProfile(name, REPO_BOARDS);
    expect(profile).not.toHaveProperty('board');
    const cfg = loadConfig({ flags: { board: name }, env: {}, boardDir: REPO_BOARDS });
    expect(cfg.board).toBe(name);
  });

  it.each(boards)('%s starts with a comment header saying what the board is', (name) => {
    const text = require('node:fs').readFileSync(path.join(REPO_BOARDS, `${name}.yaml`), 'utf8') as string;
    expect(text.startsWith('# ')).toBe(true);
  });

  it('bench-x86 keeps the embedded defaults fixed by DESIGN.md', () => {
    const cfg = loadConfig({ flags: { board: 'bench-x86' }, env: {}, cwd: '/srv', boardDir: REPO_BOARDS });
    expect(cfg.bind).toBe('127.0.0.1');
    expect(cfg.domain).toBe('localhost');
    expect(cfg.sip.port).toBe(5060);
    expect(cfg.sip.udp && cfg.sip.tcp).toBe(true);
    expect(cfg.msrp.port).toBe(2855);
    expect(cfg.http.port).toBe(8080);
    expect(cfg.dataDir).toBe(path.resolve('/srv', 'data'));
    expect(cfg.watchdog.enabled).toBe(false);
    expect(cfg.auth.mode).toBe(DEFAULT_CONFIG.auth.mode);
  });

  it('bench-x86 is the board used when none is chosen', () => {
    expect(loadConfig({ env: {}, boardDir: REPO_BOARDS }).board).toBe('bench-x86');
  });

  it('modem-board has the watchdog MCU on /dev/ttyS1, enabled and required', () => {
    const cfg = loadConfig({ flags: { board: 'modem-board' }, env: {}, boardDir: REPO_BOARDS });
    expect(cfg.watchdog).toMatchObject({ enabled: true, required: true, device: '/dev/ttyS1' });
  });

  it('the Raspberry Pi profiles use the GPIO UART /dev/serial0 and refuse new sessions at or below 80 C', () => {
    for (const name of ['rpi-zero2w', 'rpi4', 'rpi5']) {
      const cfg = loadConfig({ flags: { board: name }, env: {}, boardDir: REPO_BOARDS });
      expect(cfg.watchdog.device).toBe('/dev/serial0');
      expect(cfg.health.maxTempC).toBeLessThanOrEqual(80);
    }
  });

  it('attack finding: on every board, SIP TCP peers holding half-sent bodies and heads cannot reach the soft memory limit', () => {
    for (const name of listBoards(REPO_BOARDS)) {
      const cfg = loadConfig({ flags: { board: name }, env: {}, boardDir: REPO_BOARDS });
      // a half-sent message is held as a string per connection: head + body at most, doubled for copies
      const worstMiB = (cfg.sip.maxTcpConnections * (cfg.sip.maxContentLength + cfg.sip.maxBytesHeaders) * 2) / (1024 * 1024);
      expect({ name, fits: worstMiB < cfg.health.maxRssMiB / 2 }).toEqual({ name, fits: true });
    }
  });

  it('the Pi Zero 2 W profile keeps rings and limits smaller than the Pi 4 profile', () => {
    const zero = loadConfig({ flags: { board: 'rpi-zero2w' }, env: {}, boardDir: REPO_BOARDS });
    const pi4 = loadConfig({ flags: { board: 'rpi4' }, env: {}, boardDir: REPO_BOARDS });
    expect(zero.msrp.ringBytes).toBeLessThan(pi4.msrp.ringBytes);
    expect(zero.sessions.maxTotal).toBeLessThan(pi4.sessions.maxTotal);
    expect(zero.store.cacheSizeKiB).toBeLessThan(pi4.store.cacheSizeKiB);
  });
});

describe('board profile errors', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => {
    t = tempDir();
  });
  afterEach(() => t.cleanup());

  it('a missing board profile names the board and lists the available boards', () => {
    t.write('alpha.yaml', 'sip:\n  port: 5070\n');
    t.write('beta.yaml', '{}\n');
    const err = configError(() => loadConfig({ flags: { board: 'gamma' }, env: {}, boardDir: t.dir }));
    expect(err.key).toBe('board');
    expect(err.message).toContain('"gamma"');
    expect(err.message).toContain('alpha, beta');
  });

  it('a board profile may not set "board"', () => {
    t.write('self.yaml', 'board: other\n');
    const err = configError(() => loadBoardProfile('self', t.dir));
    expect(err.key).toBe('board');
  });

  it('an unknown key in a board profile is named with a "did you mean"', () => {
    t.write('typo.yaml', 'msrp:\n  ringByte: 4096\n');
    const err = configError(() => loadBoardProfile('typo', t.dir));
    expect(err.key).toBe('msrp.ringByte');
    expect(err.message).toContain('did you mean msrp.ringBytes?');
    expect(err.message).toContain('typo.yaml');
  });

  it('a bad value in a board profile names the key and the allowed range', () => {
    t.write('tiny.yaml', 'msrp:\n  ringBytes: 100\n');
    const err = configError(() => loadBoardProfile('tiny', t.dir));
    expect(err.key).toBe('msrp.ringBytes');
    expect(err.message).toContain('integer 4096..16777216');
  });

  it('a board name with a path in it is refused before any file is read', () => {
    const err = configError(() => loadBoardProfile('../etc/passwd', t.dir));
    expect(err.key).toBe('board');
  });

  it('listBoards of a missing folder is empty', () => {
    expect(listBoards(path.join(t.dir, 'none'))).toEqual([]);
  });

  it('the default board folder is found by walking up to package.json, from src/config or dist/src/config', () => {
    mkdirSync(path.join(t.dir, 'board'));
    mkdirSync(path.join(t.dir, 'dist', 'src', 'config'), { recursive: true });
    mkdirSync(path.join(t.dir, 'src', 'config'), { recursive: true });
    writeFileSync(path.join(t.dir, 'package.json'), '{}');
    expect(defaultBoardDir(path.join(t.dir, 'dist', 'src', 'config'))).toBe(path.join(t.dir, 'board'));
    expect(defaultBoardDir(path.join(t.dir, 'src', 'config'))).toBe(path.join(t.dir, 'board'));
    expect(defaultBoardDir()).toBe(REPO_BOARDS);
  });
});
