import { resolveSwitchOptions } from '../../../../src/msrp/switch/options';
import { ANONYMOUS_FROM, assertedFrom, namesConference, rewriteHeaders, wrapPrefix, type ConferenceAddress } from '../../../../src/msrp/switch/envelope';
import { parseCpimHeaders, parseCpimMimeHeaders, type CpimHeader } from '../../../../src/msrp/wire';

const conf: ConferenceAddress = { address: { uri: 'sip:conf-1@imedge.test' }, aliases: ['sip:group-7@imedge.test'] };
const alice = { name: 'Alice', uri: 'sip:alice@imedge.test' };
const h = (name: string, value: string): CpimHeader => ({ name, params: [], value });

describe('MSRP switch CPIM envelope (RFC 3862, OMA IM 7.2)', () => {
  it('RFC 3862 2: the wrap prefix is From, To, DateTime, empty line, the MIME headers, empty line', () => {
    const p = wrapPrefix(alice, conf, '2026-01-01T00:00:00.000Z', [{ name: 'Content-Type', value: 'text/plain' }]);
    expect(p.toString()).toBe(
      'From: Alice <sip:alice@imedge.test>\r\nTo: <sip:conf-1@imedge.test>\r\nDateTime: 2026-01-01T00:00:00.000Z\r\n\r\nContent-Type: text/plain\r\n\r\n',
    );
    const end = p.indexOf('\r\n\r\n') + 4;
    expect(parseCpimHeaders(p.subarray(0, end)).ok).toBe(true);
    expect(parseCpimMimeHeaders(p.subarray(end)).ok).toBe(true);
  });

  it('RFC 3323: an anonymous participant is asserted as sip:anonymous@anonymous.invalid', () => {
    expect(assertedFrom('anonymous')).toEqual(ANONYMOUS_FROM);
    expect(ANONYMOUS_FROM.uri).toBe('sip:anonymous@anonymous.invalid');
    expect(() => assertedFrom({ uri: 'sip:bad uri' })).toThrow(RangeError);
  });

  it('RFC 3862 4.1 / OMA IM 7.2: every From (any case) is replaced by the asserted one; To becomes the conference', () => {
    const r = rewriteHeaders(
      [h('From', '<sip:ceo@bank.example>'), h('FROM', '<sip:x@y>'), h('To', '<sip:conf-1@imedge.test>'), h('Subject', 'hi'), h('NS', 'E <mid:x@y>')],
      alice,
      conf,
      '2026-01-01T00:00:00.000Z',
    );
    if (!r.ok) throw new Error(r.reason);
    expect(r.headers.map((x) => [x.name, x.value])).toEqual([
      ['From', 'Alice <sip:alice@imedge.test>'],
      ['To', '<sip:conf-1@imedge.test>'],
      ['DateTime', '2026-01-01T00:00:00.000Z'],
      ['Subject', 'hi'],
      ['NS', 'E <mid:x@y>'],
    ]);
  });

  it('RFC 3862 4.4: a valid sender DateTime is kept, an invalid one replaced', () => {
    const keep = rewriteHeaders([h('DateTime', '2000-12-13T13:40:00-08:00')], alice, conf, 'NOW');
    const bad = rewriteHeaders([h('DateTime', 'yesterday')], alice, conf, '2026-01-01T00:00:00.000Z');
    expect(keep.ok && keep.headers[2].value).toBe('2000-12-13T13:40:00-08:00');
    expect(bad.ok && bad.headers[2].value).toBe('2026-01-01T00:00:00.000Z');
  });

  it('RFC 7701 6.2: To or cc naming anyone but the conference is a private message (428); malformed To is 400', () => {
    expect(rewriteHeaders([h('To', '<sip:bob@imedge.test>')], alice, conf, 'x')).toMatchObject({ ok: false, status: 428 });
    expect(rewriteHeaders([h('cc', '<sip:bob@imedge.test>')], alice, conf, 'x')).toMatchObject({ ok: false, status: 428 });
    expect(rewriteHeaders([h('To', 'bob')], alice, conf, 'x')).toMatchObject({ ok: false, status: 400 });
    expect(rewriteHeaders([h('To', 'Group <sips:group-7@IMEDGE.TEST;gr=1>')], alice, conf, 'x').ok).toBe(true);
  });

  it('conference URI comparison: scheme sip/sips alike, host case-insensitive, parameters ignored, user part exact', () => {
    expect(namesConference('sip:conf-1@IMEDGE.test;isfocus', conf)).toBe(true);
    expect(namesConference('sips:conf-1@imedge.test', conf)).toBe(true);
    expect(namesConference('sip:CONF-1@imedge.test', conf)).toBe(false);
    expect(namesConference('sip:conf-2@imedge.test', conf)).toBe(false);
    expect(namesConference('sip:group-7@imedge.test?x=y', conf)).toBe(true);
  });

  it('options: limits must be positive integers and slowReceiverMs below the transaction timeout', () => {
    const base = { conference: { uri: 'sip:c@d' } };
    expect(resolveSwitchOptions(base, 30_000).slowReceiverMs).toBe(5_000);
    expect(() => resolveSwitchOptions({ ...base, maxParticipants: 0 }, 30_000)).toThrow(/maxParticipants/);
    expect(() => resolveSwitchOptions({ ...base, slowReceiverMs: 1.5 }, 30_000)).toThrow(/slowReceiverMs/);
    expect(() => resolveSwitchOptions({ ...base, slowReceiverMs: 30_000 }, 30_000)).toThrow(/transactionTimeoutMs/);
  });
});
