import { Writable } from 'node:stream';
import { child, createLogger, silentLogger } from '../../../src/log';

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
