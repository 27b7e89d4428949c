import { formatMsrpUri, formatPath, msrpUriEquals, msrpUriPort, parseMsrpUri, parsePath } from '../../../../src/msrp/wire/uri';

const p = (s: string) => {
  const u = parseMsrpUri(s);
  if (u === undefined) throw new Error(`did not parse: ${s}`);
  return u;
};

describe('RFC 4975 section 6: MSRP URI', () => {
  test('parses every part', () => {
    expect(p('msrps://bob@relay.example.com:2856/kjhd37s2s2;tcp;foo=bar;baz')).toEqual({
      scheme: 'msrps',
      user: 'bob',
      host: 'relay.example.com',
      port: 2856,
      sessionId: 'kjhd37s2s2',
      transport: 'tcp',
      params: [
        { name: 'foo', value: 'bar' },
        { name: 'baz', value: undefined },
      ],
    });
  });

  test('IPv6 literal, no port, session-id with / + =', () => {
    expect(p('msrp://[2001:db8::1]/a/b+c=d;tcp')).toMatchObject({ host: '[2001:db8::1]', port: undefined, sessionId: 'a/b+c=d' });
  });

  test.each([
    ['sip:bob@example.com'],
    ['msrp://example.com:2855/abc'], // transport is mandatory
    ['msrp://example.com:99999/abc;tcp'],
    ['msrp://exa mple.com/abc;tcp'],
    ['msrp://example.com/a?b;tcp'],
    ['msrp://example.com/abc;t-p'],
    ['msrp://[2001:db8::1::2]/abc;tcp'],
    ['msrp:///abc;tcp'],
  ])('rejects %s', (s) => {
    expect(parseMsrpUri(s)).toBeUndefined();
  });

  test('format is the inverse of parse', () => {
    for (const s of ['msrp://a.example.com:7777/iau39soe2843z;tcp', 'msrps://alice@intra.example.com;tcp', 'msrp://[::1]:1/x;tcp;a=b']) {
      expect(formatMsrpUri(p(s))).toBe(s);
    }
  });

  test('default port 2855 when none is given', () => {
    expect(msrpUriPort(p('msrp://a.example.com/s;tcp'))).toBe(2855);
    expect(msrpUriPort(p('msrp://a.example.com:9/s;tcp'))).toBe(9);
  });
});

describe('RFC 4975 section 6.1: URI comparison', () => {
  const eq = (a: string, b: string) => msrpUriEquals(p(a), p(b));

  test('scheme, host and transport compare case-insensitively', () => {
    expect(eq('MSRP://Atlanta.Example.COM:7654/jshA7weztas;TCP', 'msrp://atlanta.example.com:7654/jshA7weztas;tcp')).toBe(true);
  });

  test('session-id compares case-sensitively; absent never equals present', () => {
    expect(eq('msrp://a.example.com:1/abc;tcp', 'msrp://a.example.com:1/ABC;tcp')).toBe(false);
    expect(eq('msrp://a.example.com:1;tcp', 'msrp://a.example.com:1/abc;tcp')).toBe(false);
  });

  test('an explicit port never equals an absent one, even the default port', () => {
    expect(eq('msrp://a.example.com:2855/s;tcp', 'msrp://a.example.com/s;tcp')).toBe(false);
    expect(eq('msrp://a.example.com:2855/s;tcp', 'msrp://a.example.com:2856/s;tcp')).toBe(false);
  });

  test('msrp and msrps differ; transports differ', () => {
    expect(eq('msrps://a.example.com:1/s;tcp', 'msrp://a.example.com:1/s;tcp')).toBe(false);
    expect(eq('msrp://a.example.com:1/s;tcp', 'msrp://a.example.com:1/s;sctp')).toBe(false);
  });

  test('userinfo and other parameters are ignored; percent-encoded unreserved characters are decoded', () => {
    expect(eq('msrp://alice@a.example.com:1/s;tcp;x=1', 'msrp://bob@a.example.com:1/s;tcp')).toBe(true);
    expect(eq('msrp://%61.example.com:1/s;tcp', 'msrp://A.example.com:1/s;tcp')).toBe(true);
  });

  test('IP addresses compare by value', () => {
    expect(eq('msrp://[2001:DB8:0:0::1]:1/s;tcp', 'msrp://[2001:db8::0001]:1/s;tcp')).toBe(true);
    expect(eq('msrp://[::ffff:10.0.0.1]:1/s;tcp', 'msrp://[::ffff:a00:1]:1/s;tcp')).toBe(true);
    expect(eq('msrp://[2001:db8::1]:1/s;tcp', 'msrp://[2001:db8::2]:1/s;tcp')).toBe(false);
  });
});

describe('RFC 4975 section 9: To-Path / From-Path', () => {
  test('a list of URIs separated by SP', () => {
    const list = parsePath('msrp://relay.example.com:2855/r1;tcp msrp://bob.example.com:8888/9di4eae923wzd;tcp');
    expect(list?.map((u) => u.host)).toEqual(['relay.example.com', 'bob.example.com']);
    expect(formatPath(list ?? [])).toBe('msrp://relay.example.com:2855/r1;tcp msrp://bob.example.com:8888/9di4eae923wzd;tcp');
  });

  test('an empty or broken list does not parse; formatting refuses a bad URI', () => {
    expect(parsePath('')).toBeUndefined();
    expect(parsePath('msrp://a.example.com/s;tcp junk')).toBeUndefined();
    expect(() => formatPath(['msrp://a.example.com/s'])).toThrow(RangeError);
    expect(() => formatPath([])).toThrow(RangeError);
  });
});
