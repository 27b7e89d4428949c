import { Writable } from 'node:stream';
import fc from 'fast-check';
import { child, createLogger, silentLogger } from '../../../src/log';
import { redactSecrets } from '../../../src/log/redact';

function sink(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      cb();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('log', () => {
  it('writes one JSON object per line with msg and the numeric level', () => {
    const s = sink();
    const log = createLogger({ level: 'info', destination: s.stream });
    log.info({ bind: '127.0.0.1', sip: { udp: 5060, tcp: 5060 } }, 'listening');
    const [line] = s.lines();
    expect(line).toMatchObject({ msg: 'listening', level: 30, bind: '127.0.0.1', sip: { udp: 5060, tcp: 5060 } });
    expect(typeof line?.['time']).toBe('number');
  });

  it('drops lines below the configured level', () => {
    const s = sink();
    const log = createLogger({ level: 'warn', destination: s.stream });
    log.info('hidden');
    log.debug('hidden');
    log.warn('shown');
    expect(s.lines().map((l) => l['msg'])).toEqual(['shown']);
  });

  it('child loggers add the component and extra bindings to every line', () => {
    const s = sink();
    const root = createLogger({ level: 'debug', destination: s.stream, base: {} });
    const msrp = child(root, 'msrp', { conn: 7 });
    msrp.debug('accepted');
    expect(s.lines()).toEqual([expect.objectContaining({ component: 'msrp', conn: 7, msg: 'accepted' })]);
    expect(s.lines()[0]).not.toHaveProperty('pid');
  });

  it('the silent logger writes nothing and does not throw', () => {
    expect(() => silentLogger().error('nothing')).not.toThrow();
  });
});

test('credentials, passwords and tokens are redacted wherever they sit in a logged object', () => {
  const lines: string[] = [];
  const log = createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(l) } });
  log.info({ headers: { authorization: 'Digest username="a", response="secret1"', 'proxy-authorization': 'Digest secret2' }, password: 'secret3', cfg: { token: 'secret4' } }, 'x');
  expect(lines.join('')).not.toMatch(/secret[1-4]/);
  expect(lines.join('')).toContain('[redacted]');
});

describe('redaction (redact.ts)', () => {
  function capture(): { log: ReturnType<typeof createLogger>; text: () => string } {
    const lines: string[] = [];
    return { log: createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(l) } }), text: () => lines.join('') };
  }

  test('a child logger\'s bindings are redacted too', () => {
    const c = capture();
    child(c.log, 'auth', { headers: { Authorization: 'Digest response="secret5"' } }).info('x');
    expect(c.text()).not.toContain('secret5');
    expect(c.text()).toContain('[redacted]');
  });

  test('keys match without regard to case, inside arrays and three levels down', () => {
    const c = capture();
    c.log.info({ list: [{ Password: 'secret6' }], a: { b: { HA1: 'secret7' } }, Token: 'secret8' }, 'x');
    expect(c.text()).not.toMatch(/secret[6-8]/);
  });

  test('the caller\'s object is not changed, and an object without secrets is returned as it is', () => {
    const obj = { user: 'alice', cfg: { password: 'p' } };
    const out = redactSecrets(obj);
    expect(out).toEqual({ user: 'alice', cfg: { password: '[redacted]' } });
    expect(obj.cfg.password).toBe('p');
    const clean = { user: 'alice', n: 1, nested: { a: [1, 2] } };
    expect(redactSecrets(clean)).toBe(clean);
  });

  test('a "__proto__" key holding a secret stays a key, the prototype is untouched', () => {
    const obj = JSON.parse('{"__proto__": {"password": "secret9"}}') as Record<string, unknown>;
    const out = redactSecrets(obj);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).not.toContain('secret9');
  });

  test('an Error is passed through to the err serializer unchanged', () => {
    const c = capture();
    c.log.error({ err: new Error('boom') }, 'failed');
    expect(JSON.parse(c.text()) as Record<string, unknown>).toMatchObject({ err: { message: 'boom', type: 'Error' } });
  });

  test('garbage never throws', () => {
    fc.assert(fc.property(fc.anything(), (v) => {
      expect(() => redactSecrets({ v })).not.toThrow();
    }));
  });
});
