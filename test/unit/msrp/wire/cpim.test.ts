import {
  cpimBlockEnd,
  CPIM_ANONYMOUS_URI,
  cpimHeaderValues,
  encodeCpim,
  encodeCpimHeaders,
  encodeCpimMimeHeaders,
  formatCpimAddress,
  formatCpimDateTime,
  formatCpimHeader,
  isCpimDateTime,
  parseCpim,
  parseCpimAddress,
  parseCpimHeaderLine,
  parseCpimHeaders,
  parseCpimMimeHeaders,
} from '../../../../src/msrp/wire/cpim';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

// the example of RFC 3862 section 5, with CRLF line ends
const RFC3862_EXAMPLE =
  'From: MR SANDERS <im:piglet@100akerwood.com>\r\n' +
  'To: Depressed Donkey <im:eeyore@100akerwood.com>\r\n' +
  'DateTime: 2000-12-13T13:40:00-08:00\r\n' +
  'Subject: the weather will be fine today\r\n' +
  'Subject:;lang=fr beau temps prevu pour aujourd\'hui\r\n' +
  'NS: MyFeatures <mid:MessageFeatures@id.foo.com>\r\n' +
  'Require: MyFeatures.VitalMessageOption\r\n' +
  'MyFeatures.VitalMessageOption: Confirmation-requested\r\n' +
  'MyFeatures.WackyMessageOption: Use-silly-font\r\n' +
  '\r\n' +
  'Content-type: text/xml; charset=utf-8\r\n' +
  'Content-ID: <1234567890@foo.com>\r\n' +
  '\r\n' +
  '<body>\r\nHere is the text of my message.\r\n</body>';

describe('RFC 3862 CPIM codec', () => {
  it('RFC 3862 5: parses the example message (headers, parameters, MIME headers, content)', () => {
    const r = parseCpim(b(RFC3862_EXAMPLE));
    if (!r.ok) throw new Error(r.error.message);
    const m = r.value;
    expect(m.headers.map((h) => h.name)).toEqual([
      'From', 'To', 'DateTime', 'Subject', 'Subject', 'NS', 'Require', 'MyFeatures.VitalMessageOption', 'MyFeatures.WackyMessageOption',
    ]);
    expect(m.headers[4]).toEqual({ name: 'Subject', params: [{ name: 'lang', value: 'fr' }], value: "beau temps prevu pour aujourd'hui" });
    expect(parseCpimAddress(cpimHeaderValues(m.headers, 'From')[0])).toEqual({ name: 'MR SANDERS', uri: 'im:piglet@100akerwood.com' });
    expect(isCpimDateTime(cpimHeaderValues(m.headers, 'DateTime')[0])).toBe(true);
    expect(m.mimeHeaders).toEqual([
      { name: 'Content-type', value: 'text/xml; charset=utf-8' },
      { name: 'Content-ID', value: '<1234567890@foo.com>' },
    ]);
    expect(m.body.toString()).toBe('<body>\r\nHere is the text of my message.\r\n</body>');
    expect(encodeCpim(m).equals(b(RFC3862_EXAMPLE))).toBe(true);
  });

  it('RFC 3862 2: empty message header block and empty content', () => {
    const r = parseCpim(b('\r\nContent-Type: text/plain\r\n\r\n'));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.headers).toEqual([]);
    expect(r.value.body.length).toBe(0);
    expect(encodeCpimHeaders([]).toString()).toBe('\r\n');
  });

  it('RFC 3862 2: a body without the empty lines is a typed error, not a throw', () => {
    for (const text of ['From: <sip:a@b>\r\n', 'From: <sip:a@b>\r\n\r\nContent-Type: text/plain\r\n', '', 'x']) {
      const r = parseCpim(b(text));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.kind).toBe('no-blank-line');
    }
  });

  it('RFC 3862 3.6: bad header names, parameters and control characters are refused', () => {
    for (const line of ['From <sip:a@b>', ':x', 'Fr om: x', 'A.B.C: x', 'X:;=y v', 'X:;a= v', 'X:;a=b,c v', 'X: a\u0001b', 'X:;a="x v']) {
      expect(parseCpimHeaderLine(line)).toBeUndefined();
    }
    const r = parseCpimHeaders(b('From: <sip:a@b>\r\nbroken\r\n\r\n'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.kind).toBe('bad-header');
    const utf = parseCpimHeaders(Buffer.from([0x41, 0x3a, 0x20, 0xff, 0x0d, 0x0a, 0x0d, 0x0a]));
    expect(utf.ok ? 'ok' : utf.error.kind).toBe('bad-utf8');
  });

  it('RFC 3862 3.6: a quoted parameter value and a header without the blank are read', () => {
    expect(parseCpimHeaderLine('X:;a="q \\" ;" v')).toEqual({ name: 'X', params: [{ name: 'a', value: '"q \\" ;"' }], value: 'v' });
    expect(parseCpimHeaderLine('From:<sip:a@b>')).toEqual({ name: 'From', params: [], value: '<sip:a@b>' });
  });

  it('RFC 3862 3.1: header names keep their case (From and from are different headers)', () => {
    const r = parseCpimHeaders(b('from: <sip:x@y>\r\n\r\n'));
    if (!r.ok) throw new Error(r.error.message);
    expect(cpimHeaderValues(r.value, 'From')).toEqual([]);
    expect(cpimHeaderValues(r.value, 'from')).toEqual(['<sip:x@y>']);
  });

  it('RFC 3862 4.1: addresses with token names, quoted names (escapes) and no name', () => {
    expect(parseCpimAddress('<sip:a@b>')).toEqual({ uri: 'sip:a@b' });
    expect(parseCpimAddress('Alice Smith <sip:a@b>')).toEqual({ name: 'Alice Smith', uri: 'sip:a@b' });
    expect(parseCpimAddress('"Bob \\"B\\" \\\\ <x>"<sip:b@c>')).toEqual({ name: 'Bob "B" \\ <x>', uri: 'sip:b@c' });
    expect(parseCpimAddress('"Bob" <sip:b@c>')).toEqual({ name: 'Bob', uri: 'sip:b@c' });
    expect(parseCpimAddress('"\\u0041\\t"<sip:b@c>')).toEqual({ name: 'A\t', uri: 'sip:b@c' });
    for (const bad of ['sip:a@b', 'Alice<sip:a@b>', '<sip a@b>', '<>', '"x<sip:a@b>', 'Al"ice <sip:a@b>']) {
      expect(parseCpimAddress(bad)).toBeUndefined();
    }
    expect(formatCpimAddress({ name: 'Alice Smith', uri: 'sip:a@b' })).toBe('Alice Smith <sip:a@b>');
    expect(formatCpimAddress({ name: 'Bob "B"', uri: 'sip:b@c' })).toBe('"Bob \\"B\\""<sip:b@c>');
    expect(formatCpimAddress({ uri: CPIM_ANONYMOUS_URI })).toBe('<sip:anonymous@anonymous.invalid>');
    expect(() => formatCpimAddress({ uri: 'sip:a b' })).toThrow(RangeError);
  });

  it('RFC 3862 4.4: DateTime is an RFC 3339 date-time', () => {
    expect(isCpimDateTime('2000-12-13T13:40:00-08:00')).toBe(true);
    expect(isCpimDateTime('2000-12-13T13:40:00.123Z')).toBe(true);
    expect(isCpimDateTime('2000-12-13 13:40:00')).toBe(false);
    expect(isCpimDateTime('2000-13-45T99:99:99Z')).toBe(false);
    expect(formatCpimDateTime(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)))).toBe('2026-01-02T03:04:05.000Z');
  });

  it('RFC 5322 2.2.3: folded MIME header lines are unfolded', () => {
    const r = parseCpimMimeHeaders(b('Content-Type: text/plain;\r\n charset=utf-8\r\n\r\n'));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value).toEqual([{ name: 'Content-Type', value: 'text/plain; charset=utf-8' }]);
    const bad = parseCpimMimeHeaders(b(' x\r\n\r\n'));
    expect(bad.ok).toBe(false);
  });

  it('encoders refuse what would not read back the same', () => {
    expect(() => formatCpimHeader({ name: 'A b', params: [], value: 'x' })).toThrow(RangeError);
    expect(() => formatCpimHeader({ name: 'A', params: [], value: 'x\r\nFrom: <sip:evil@x>' })).toThrow(RangeError);
    expect(() => formatCpimHeader({ name: 'A', params: [{ name: 'p', value: 'a b' }], value: 'x' })).toThrow(RangeError);
    expect(() => encodeCpimMimeHeaders([{ name: 'Content-Type', value: ' text/plain' }])).toThrow(RangeError);
    expect(() => encodeCpimMimeHeaders([{ name: 'Content Type', value: 'text/plain' }])).toThrow(RangeError);
  });

  it('cpimBlockEnd finds the end of a block across a growing buffer', () => {
    expect(cpimBlockEnd(b('\r\nrest'))).toBe(2);
    expect(cpimBlockEnd(b('A: b\r\n\r'))).toBe(-1);
    expect(cpimBlockEnd(b('A: b\r\n\r\nC'), 0, 7)).toBe(8);
    expect(cpimBlockEnd(b('A: b\r\n\r\nX: y\r\n\r\n'), 8)).toBe(16);
  });
});
