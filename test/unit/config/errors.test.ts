import { ConfigError, loadConfig, type FlagValues } from '../../../src/config';
import { configError, tempDir } from './helpers';

describe('configuration errors name the key and what is allowed', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => {
    t = tempDir();
    t.write('bench-x86.yaml', '{}\n');
  });
  afterEach(() => t.cleanup());

  const withFile = (text: string, name = 'imedge.yaml') =>
    configError(() => loadConfig({ flags: { config: t.write(name, text) }, env: {}, boardDir: t.dir, cwd: t.dir }));
  const withEnv = (env: NodeJS.ProcessEnv) => configError(() => loadConfig({ env, boardDir: t.dir, cwd: t.dir }));
  const withFlags = (flags: Partial<FlagValues>) => configError(() => loadConfig({ flags, env: {}, boardDir: t.dir, cwd: t.dir }));

  it('ConfigError is an Error carrying the key', () => {
    const err = withFile('sip:\n  port: -1\n');
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.name).toBe('ConfigError');
  });

  describe('unknown keys', () => {
    it('a misspelled key in the config file is named with "did you mean"', () => {
      const err = withFile('sip:\n  prot: 5070\n');
      expect(err.key).toBe('sip.prot');
      expect(err.message).toContain('unknown key "sip.prot"');
      expect(err.message).toContain('did you mean sip.port?');
    });

    it('a snake_case key suggests the camelCase key', () => {
      expect(withFile('sip:\n  max_content_length: 10\n').message).toContain('did you mean sip.maxContentLength?');
    });

    it('a key in the wrong section suggests the section it belongs to', () => {
      expect(withFile('ringBytes: 8192\n').message).toContain('did you mean msrp.ringBytes?');
    });

    it('a key far from every known key gets no suggestion', () => {
      const err = withFile('frobnicate: 1\n');
      expect(err.key).toBe('frobnicate');
      expect(err.message).not.toContain('did you mean');
    });

    it('an unknown key is reported before a bad value in the same file', () => {
      expect(withFile('sip:\n  port: 99999\n  tpc: true\n').key).toBe('sip.tpc');
    });

    it('an IMEDGE_* variable that maps to no key is named, with the closest variable', () => {
      const err = withEnv({ IMEDGE_SIP__PROT: '5070' });
      expect(err.key).toBe('IMEDGE_SIP__PROT');
      expect(err.message).toContain('did you mean IMEDGE_SIP__PORT?');
    });

    it('a single "_" between levels suggests the "__" form', () => {
      expect(withEnv({ IMEDGE_SIP_MAX_CONTENT_LENGTH: '10' }).message).toContain('did you mean IMEDGE_SIP__MAX_CONTENT_LENGTH?');
    });

    it('IMEDGE_CONFIG and variables without the prefix are not configuration keys and are allowed', () => {
      const file = t.write('c.yaml', '{}\n');
      expect(() => loadConfig({ env: { IMEDGE_CONFIG: file, PATH: '/bin', HOME: '/root' }, boardDir: t.dir })).not.toThrow();
    });

    it('an unknown flag is named', () => {
      const flags = { sipPrt: 1 } as unknown as Partial<FlagValues>;
      const err = withFlags(flags);
      expect(err.key).toBe('sipPrt');
      expect(err.message).toContain('did you mean sipPort?');
    });
  });

  describe('bad values', () => {
    it('an out-of-range port names the key, the value and the range', () => {
      const err = withFile('sip:\n  port: 70000\n');
      expect(err.key).toBe('sip.port');
      expect(err.message).toContain('70000');
      expect(err.message).toContain('integer 0..65535');
    });

    it('a value outside a list of choices names the choices', () => {
      const err = withFile('log:\n  level: verbose\n');
      expect(err.key).toBe('log.level');
      expect(err.message).toContain('one of fatal, error, warn, info, debug, trace');
    });

    it('a value of the wrong type names the type', () => {
      const err = withFile('sip:\n  udp: "yes"\n');
      expect(err.key).toBe('sip.udp');
      expect(err.message).toContain('true or false');
    });

    it('a non-integer where an integer is needed is refused', () => {
      expect(withFile('sessions:\n  maxTotal: 2.5\n').key).toBe('sessions.maxTotal');
    });

    it('a bad entry in a list names the list key', () => {
      const err = withFile('auth:\n  algorithms: [SHA-256, SHA-512]\n');
      expect(err.key).toBe('auth.algorithms');
      expect(err.message).toContain('SHA-256, MD5');
    });

    it('a section given as a scalar names the section', () => {
      const err = withFile('sip: 5060\n');
      expect(err.key).toBe('sip');
      expect(err.message).toContain('a mapping of sip.* keys');
    });

    it('a config file whose top level is a list is refused', () => {
      expect(withFile('- a\n- b\n').message).toContain('the top level');
    });

    it('an environment value that does not convert names the variable, the key and the range', () => {
      const err = withEnv({ IMEDGE_SIP__PORT: 'abc' });
      expect(err.key).toBe('IMEDGE_SIP__PORT');
      expect(err.message).toContain('sip.port');
      expect(err.message).toContain('integer 0..65535');
    });

    it('a bad flag value names the flag', () => {
      const err = withFlags({ sipPort: 'x' });
      expect(err.key).toBe('--sip-port');
      expect(err.message).toContain('integer 0..65535');
    });

    it('a bind address that is not an IP address names --bind', () => {
      const err = withFlags({ bind: 'example.org' });
      expect(err.key).toBe('--bind');
      expect(err.message).toContain('IPv4 or IPv6 address');
    });

    it('an outbound proxy that is not a SIP URI is refused', () => {
      expect(withEnv({ IMEDGE_SIP__OUTBOUND_PROXY: 'http://proxy' }).key).toBe('IMEDGE_SIP__OUTBOUND_PROXY');
    });

    it('a kick byte longer than one byte is refused', () => {
      expect(withFile('watchdog:\n  kickByte: "ab"\n').key).toBe('watchdog.kickByte');
    });
  });

  describe('files', () => {
    it('a YAML syntax error gives the line and column', () => {
      const err = withFile('sip:\n  port: 5060\n   udp: true\n');
      expect(err.key).toBe('--config');
      expect(err.message).toMatch(/line 2, column \d+/);
    });

    it('a duplicate key is a syntax error with its line', () => {
      expect(withFile('http:\n  port: 1\n  port: 2\n').message).toMatch(/line 3, column \d+/);
    });

    it('an alias without its anchor is a ConfigError, not a ReferenceError (fuzz finding, test/fixtures/fuzz/config)', () => {
      const err = withFile('*a\n');
      expect(err.key).toBe('--config');
      expect(err.message).toMatch(/syntax error: Unresolved alias/);
    });

    it('a JSON syntax error gives the line and column', () => {
      expect(withFile('{\n  "sip": {"port": 1\n', 'x.json').message).toMatch(/line \d+, column \d+/);
    });

    it('a missing config file names --config and the path', () => {
      const err = withFlags({ config: 'nope.yaml' });
      expect(err.key).toBe('--config');
      expect(err.message).toContain('nope.yaml');
    });

    it('a missing file named by IMEDGE_CONFIG names the variable', () => {
      expect(withEnv({ IMEDGE_CONFIG: 'nope.yaml' }).key).toBe('IMEDGE_CONFIG');
    });
  });

  describe('rules across keys', () => {
    it('auth.mode off with a bind address that is not loopback is refused', () => {
      const err = withFlags({ bind: '0.0.0.0', config: t.write('off.yaml', 'auth:\n  mode: "off"\n') });
      expect(err.key).toBe('auth.mode');
      expect(err.message).toContain('not loopback');
    });

    it('auth.mode off on a loopback bind address is accepted', () => {
      const off = t.write('off.yaml', 'auth:\n  mode: "off"\n');
      for (const bind of ['127.0.0.1', '::1']) {
        expect(loadConfig({ flags: { config: off, bind }, env: {}, boardDir: t.dir }).auth.mode).toBe('off');
      }
    });

    it('registrar.minExpires above maxExpires is refused', () => {
      expect(withFile('registrar:\n  minExpires: 8000\n').key).toBe('registrar.minExpires');
    });

    it('an enabled watchdog without a device is refused', () => {
      const err = withEnv({ IMEDGE_WATCHDOG__ENABLED: 'true' });
      expect(err.key).toBe('watchdog.device');
    });

    it('an MCU timeout shorter than three heartbeat periods is refused', () => {
      expect(withFile('watchdog:\n  periodMs: 5000\n  timeoutS: 10\n').key).toBe('watchdog.timeoutS');
    });

    it('sip.t2Ms below sip.t1Ms is refused (RFC 3261 17.1.2.2)', () => {
      expect(withFile('sip:\n  t1Ms: 800\n  t2Ms: 400\n').key).toBe('sip.t2Ms');
    });

    it('both SIP transports off is refused', () => {
      expect(withFile('sip:\n  udp: false\n  tcp: false\n').key).toBe('sip.udp');
    });
  });
});
