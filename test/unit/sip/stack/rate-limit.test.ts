// Issue 11 item 5: the per-source token bucket of src/sip/stack/rate-limit.ts, with a fixed clock.
import { canonicalSource, datagramKind, SourceRateLimiter } from '../../../../src/sip/stack/rate-limit';

function limiter(over: Partial<ConstructorParameters<typeof SourceRateLimiter>[0]> = {}, onLimited?: (s: string, t: 'UDP' | 'TCP') => void) {
  let t = 0;
  const l = new SourceRateLimiter({ perSecond: 2, burst: 3, maxSources: 4, now: () => t, ...over }, onLimited);
  return { l, advance: (ms: number) => (t += ms) };
}

describe('SourceRateLimiter', () => {
  test('a burst passes, then TCP is rejected every time and UDP once per second, the rest dropped; one log call per source per second', () => {
    const logged: string[] = [];
    const { l, advance } = limiter({}, (s, t) => logged.push(`${s}/${t}`));
    expect([1, 2, 3].map(() => l.take('10.0.0.1', 'TCP'))).toEqual(['pass', 'pass', 'pass']);
    expect([1, 2].map(() => l.take('10.0.0.1', 'TCP'))).toEqual(['reject', 'reject']);
    expect([1, 2, 3].map(() => l.take('10.0.0.2', 'UDP'))).toEqual(['pass', 'pass', 'pass']);
    expect([1, 2, 3].map(() => l.take('10.0.0.2', 'UDP'))).toEqual(['reject', 'drop', 'drop']);
    expect(logged).toEqual(['10.0.0.1/TCP', '10.0.0.2/UDP']);
    advance(500); // one token back
    expect(l.take('10.0.0.2', 'UDP')).toBe('pass');
    expect(l.take('10.0.0.2', 'UDP')).toBe('drop');
    advance(1000);
    expect([1, 2, 3].map(() => l.take('10.0.0.2', 'UDP'))).toEqual(['pass', 'pass', 'reject']);
    expect(l.stats()).toMatchObject({ rejected: 4, dropped: 3 });
  });

  test('perSecond 0 is no limit; an exempt address (any spelling of IPv4) is never limited nor tracked', () => {
    expect(limiter({ perSecond: 0 }).l.take('10.0.0.1', 'UDP')).toBe('pass');
    const { l } = limiter({ burst: 1, exempt: ['127.0.0.1'] });
    for (let i = 0; i < 10; i++) expect(l.take('::ffff:127.0.0.1', 'UDP')).toBe('pass');
    expect(l.stats().tracked).toBe(0);
  });

  test('the map holds at most maxSources; the least recently seen is forgotten, a flooding source stays', () => {
    const { l } = limiter({ burst: 1 });
    l.take('10.0.0.9', 'TCP');
    for (const a of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) l.take(a, 'TCP');
    expect(l.take('10.0.0.9', 'TCP')).toBe('reject'); // seen again: now the most recent
    l.take('10.0.0.4', 'TCP');
    expect(l.stats()).toMatchObject({ tracked: 4, evicted: 1 });
    expect(l.take('10.0.0.9', 'TCP')).toBe('reject');
  });

  test('canonicalSource folds IPv4-mapped IPv6; datagramKind reads the start line without parsing', () => {
    expect(canonicalSource('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(canonicalSource('2001:db8::1')).toBe('2001:db8::1');
    expect(datagramKind(Buffer.from('SIP/2.0 200 OK\r\n'))).toBe('response');
    expect(datagramKind(Buffer.from('\r\nSIP/2.0 200 OK\r\n'))).toBe('response');
    expect(datagramKind(Buffer.from('ACK sip:x SIP/2.0\r\n'))).toBe('ack');
    expect(datagramKind(Buffer.from('INVITE sip:x SIP/2.0\r\n'))).toBe('request');
    expect(datagramKind(Buffer.from('garbage'))).toBe('request');
  });
});

test('attack finding F6: a source first seen while the map is full starts with an empty bucket (no burst), counted', () => {
  const { l } = limiter({ burst: 5 });
  for (const a of ['10.0.1.1', '10.0.1.2', '10.0.1.3', '10.0.1.4']) expect(l.take(a, 'TCP')).toBe('pass');
  // the map is full: the next new source (and a forgotten one coming back) earns its tokens at the rate
  expect(l.take('10.0.1.5', 'TCP')).toBe('reject');
  expect(l.take('10.0.1.1', 'TCP')).toBe('reject');
  expect(l.stats()).toMatchObject({ startedEmpty: 2, evicted: 2 });
});
