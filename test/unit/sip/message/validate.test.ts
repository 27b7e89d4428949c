/** Rule-by-rule tests of the strict SIP validator, each named after its clause. */
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkContentLength,
  validateSipMessage,
  type ValidateOptions,
  type ValidationResult,
} from '../../../../src/sip/message/validate';
import { readMessage } from './split';

const BASE: readonly string[] = [
  'OPTIONS sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1',
  'Max-Forwards: 70',
  'From: <sip:alice@example.com>;tag=1',
  'To: <sip:bob@example.com>',
  'Call-ID: abc@192.0.2.1',
  'CSeq: 1 OPTIONS',
  'Content-Length: 0',
];

/** BASE with headers replaced (by name, before the colon) or removed (null), plus extra lines. */
function head(changes: Record<string, string | null> = {}, extra: string[] = []): string {
  const lines: string[] = [];
  for (const line of BASE) {
    const name = line.includes(':') && !line.startsWith('OPTIONS') ? line.slice(0, line.indexOf(':')) : 'start';
    if (name in changes) {
      const v = changes[name];
      if (v !== null) lines.push(name === 'start' ? v : `${name}: ${v}`);
    } else {
      lines.push(line);
    }
  }
  return [...lines, ...extra].join('\r\n');
}

function check(h: string, bodyLength = 0, options: ValidateOptions = {}): ValidationResult {
  return validateSipMessage(h, bodyLength, options);
}

function status(r: ValidationResult): number | 'ok' {
  return r.ok ? 'ok' : r.status;
}

describe('validateSipMessage: start line (RFC 3261 7.1, 7.2, 25.1)', () => {
  it('RFC 3261 8.1.1: accepts a minimal valid request', () => {
    expect(check(head())).toEqual({ ok: true });
  });

  it('RFC 3261 7.5: ignores CRLFs before the start line', () => {
    expect(check('\r\n\r\n' + head())).toEqual({ ok: true });
  });

  it.each([
    ['OPTIONS sip:bob@example.com SIP/2.0', 'ok'],
    ['OPTIONS sip:bob@example.com sip/2.0', 'ok'], // ABNF literals are case-insensitive
    ['OPTIONS sip:bob@example.com SIP/2.1', 505],
    ['OPTIONS sip:bob@example.com SIP/20', 400],
    ['OPTIONS sip:bob@example.com', 400],
    ['OPTIONS  sip:bob@example.com SIP/2.0', 400],
    ['OPTIONS sip:bob@example.com  SIP/2.0', 400],
    ['OPTIONS sip:bob@example.com SIP/2.0 ', 400],
    ['OPTIONS sip:bob@example.com\tSIP/2.0', 400],
    [' OPTIONS sip:bob@example.com SIP/2.0', 400],
    ['OPTIONS <sip:bob@example.com> SIP/2.0', 400],
    ['OPTIONS sip:bob@example.com?Subject=x SIP/2.0', 400],
    ['OPTIONS sip:bob@ex ample.com SIP/2.0', 400],
    ['OPTIONS sip: SIP/2.0', 400],
    ['OPTIONS sips:bob@[2001:db8::1]:5061;transport=tcp SIP/2.0', 'ok'],
    ['OPTIONS SIP:bob@EXAMPLE.com SIP/2.0', 'ok'],
    ['OPTIONS tel:+15551234567 SIP/2.0', 416],
    ['OPTIONS 1sip:bob@example.com SIP/2.0', 400],
  ])('RFC 3261 7.1 / RFC 4475 3.1.2.7-3.1.2.11, 3.1.2.16: %j -> %s', (line, expected) => {
    expect(status(check(head({ start: line })))).toBe(expected);
  });

  it('RFC 3261 8.1.1.5: an unusual method token is fine when CSeq repeats it exactly', () => {
    expect(check(head({ start: 'NEW.METHOD sip:bob@example.com SIP/2.0', CSeq: '1 NEW.METHOD' })).ok).toBe(true);
    expect(check(head({ start: 'NEW.METHOD sip:bob@example.com SIP/2.0', CSeq: '1 new.method' }))).toMatchObject({
      status: 400,
      reason: 'CSeq method does not match request method',
    });
  });

  it.each([
    ['SIP/2.0 200 OK', 'ok'],
    ['SIP/2.0 180 ', 'ok'],
    ['SIP/2.0 699 Whatever (really)', 'ok'],
    ['SIP/2.0 200', 400],
    ['SIP/2.0 099 Low', 400],
    ['SIP/2.0 700 High', 400],
    ['SIP/2.0 2000 OK', 400],
    ['SIP/2.0  200 OK', 400],
    ['SIP/3.0 200 OK', 505],
    ['SIP/2.0 200 OK\x01', 400],
  ])('RFC 3261 7.2 / RFC 4475 3.1.2.19: Status-Line %j -> %s, flagged as a response', (line, expected) => {
    const r = check(head({ start: line }));
    expect(status(r)).toBe(expected);
    if (!r.ok) expect(r.isResponse).toBe(true);
  });

  it('RFC 3261 8.2.6.2: a response without Via is flagged (the caller drops it)', () => {
    expect(check(head({ start: 'SIP/2.0 200 OK', Via: null }))).toEqual({
      ok: false,
      status: 400,
      reason: 'Missing Via header',
      isResponse: true,
    });
  });

  it('RFC 3261 8.2.2.1: supported schemes come from the options, compared case-insensitively', () => {
    const h = head({ start: 'OPTIONS tel:+15551234567 SIP/2.0' });
    expect(check(h)).toMatchObject({ status: 416, reason: 'Unsupported URI Scheme' });
    expect(check(h, 0, { supportedSchemes: ['sip', 'TEL'] })).toEqual({ ok: true });
    expect(check(head(), 0, { supportedSchemes: ['tel'] })).toMatchObject({ status: 416 });
  });

  it('rejects an empty head', () => {
    expect(check('')).toMatchObject({ status: 400, reason: 'Empty message', isResponse: false });
    expect(check('\r\n')).toMatchObject({ status: 400 });
  });
});

describe('validateSipMessage: header lines (RFC 3261 7.3)', () => {
  it('RFC 3261 7.3.1: a folded header continues the previous line', () => {
    const h = head({}, ['Subject: first part', ' second part', '\tthird part', 'Accept: application/sdp,', '  text/plain']);
    expect(check(h)).toEqual({ ok: true });
  });

  it('RFC 3261 7.3.1: folding right after the start line is rejected', () => {
    const lines = head().split('\r\n');
    lines.splice(1, 0, ' continued');
    expect(check(lines.join('\r\n'))).toMatchObject({ status: 400, reason: 'Invalid line folding' });
  });

  it.each([
    ['No colon here', 'Malformed header line (no colon)'],
    ['Bad Name: x', 'Invalid header name'],
    [': x', 'Invalid header name'],
    ['X-Ok\x7f: x', 'Invalid header name'],
    ['X-Caf\xe9: x', 'Invalid header name'],
  ])('RFC 3261 25.1 header-name = token: %j', (line, reason) => {
    expect(check(head({}, [line]))).toMatchObject({ status: 400, reason });
  });

  it('RFC 3261 25.1 HCOLON: SP/HTAB before the colon and LWS after it are fine', () => {
    expect(check(head({}, ['X-A \t: v', 'X-B:v', 'X-C:']))).toEqual({ ok: true });
  });

  it('rejects an empty line inside the header block', () => {
    expect(check(head() + '\r\n\r\nX-After: 1')).toMatchObject({ status: 400 });
  });

  it('RFC 3261 7.3.3: compact forms are checked like the long ones', () => {
    expect(check(head({ 'Content-Length': null }, ['l: 0', 'i: x@y', 'v: SIP/2.0/UDP h;branch=z9hG4bK2'])))
      .toMatchObject({ reason: 'Duplicate Call-ID header' });
    expect(check(head({}, ['m: <sip:a@example.com>', 'k: timer', 'c: text/plain', 'o: conference']))).toEqual({
      ok: true,
    });
    expect(check(head({}, ['t: <sip:x@example.com>']))).toMatchObject({ reason: 'Duplicate To header' });
  });

  it('RFC 3261 7.3.1: single-valued headers may not repeat', () => {
    for (const name of ['From', 'To', 'Call-ID', 'CSeq', 'Max-Forwards', 'Content-Length']) {
      const line = BASE.find((l) => l.startsWith(`${name}:`));
      expect(check(head({}, [line as string]))).toMatchObject({ status: 400, reason: `Duplicate ${name} header` });
    }
  });

  it.each(['Via', 'From', 'To', 'Call-ID', 'CSeq'])('RFC 3261 8.1.1 / RFC 4475 3.3.1: missing %s -> 400', (name) => {
    expect(check(head({ [name]: null }))).toMatchObject({ status: 400, reason: `Missing ${name} header` });
  });

  it('RFC 4475 3.4.1: a request without Max-Forwards is tolerated (RFC 2543 peers)', () => {
    expect(check(head({ 'Max-Forwards': null }))).toEqual({ ok: true });
  });

  it('never echoes an unknown header name in the reason', () => {
    expect(check(head({}, ['__proto__: a\x01']))).toMatchObject({ reason: 'Bad header value (control character)' });
    expect(check(head({}, ['constructor: fine', 'hasOwnProperty: fine']))).toEqual({ ok: true });
  });
});

describe('validateSipMessage: Content-Length and framing (RFC 3261 18.3, 20.14)', () => {
  it.each([
    ['0', 0, 'ok'],
    ['007', 7, 'ok'],
    [' 10 ', 10, 'ok'],
    ['abc', 0, 400],
    ['-1', 0, 400],
    ['+1', 1, 400],
    ['1.5', 2, 400],
    ['1 0', 10, 400],
    ['0x10', 16, 400],
    ['', 0, 400],
    ['99999999999999999999', 0, 400],
    ['2147483648', 0, 400],
  ])('Content-Length: %j with a %d-byte body -> %s', (value, body, expected) => {
    expect(status(check(head({ 'Content-Length': value }), body))).toBe(expected);
  });

  it('UDP: a longer body is truncated by the caller, a shorter one is a 400 (RFC 4475 3.1.2.2)', () => {
    const h = head({ 'Content-Length': '10' });
    expect(check(h, 10, { transport: 'UDP' }).ok).toBe(true);
    expect(check(h, 25, { transport: 'UDP' }).ok).toBe(true);
    expect(check(h, 9, { transport: 'UDP' })).toMatchObject({
      status: 400,
      reason: 'Bad Content-Length (larger than body)',
    });
  });

  it('UDP is the default transport', () => {
    expect(check(head({ 'Content-Length': '10' }), 9)).toMatchObject({ status: 400 });
  });

  it('TCP: Content-Length must be present and is not compared with the body', () => {
    expect(check(head({ 'Content-Length': '10' }), 0, { transport: 'TCP' }).ok).toBe(true);
    expect(check(head({ 'Content-Length': null }), 0, { transport: 'TCP' })).toMatchObject({
      status: 400,
      reason: 'Missing Content-Length on stream transport',
    });
    expect(check(head({ 'Content-Length': null }), 42, { transport: 'UDP' }).ok).toBe(true);
  });

  it('checkContentLength is usable on its own', () => {
    expect(checkContentLength(undefined, 5, 'UDP')).toBeNull();
    expect(checkContentLength(undefined, 0, 'TCP')).toMatch(/Missing Content-Length/);
    expect(checkContentLength(5, 4, 'UDP')).toMatch(/Content-Length/);
    expect(checkContentLength(5, 6, 'UDP')).toBeNull();
    expect(checkContentLength(5, 0, 'TCP')).toBeNull();
  });

  it('RFC 3261 21.5.9 (513): a head above maxHeadLength is refused', () => {
    const h = head({}, [`Subject: ${'x'.repeat(2000)}`]);
    expect(check(h, 0, { maxHeadLength: 1000 })).toMatchObject({ status: 513, reason: 'Message Too Large' });
    expect(check(h, 0, { maxHeadLength: 4000 }).ok).toBe(true);
  });
});

describe('validateSipMessage: scalar headers', () => {
  it.each([
    ['1 OPTIONS', 'ok'],
    ['0009\r\n  OPTIONS', 'ok'],
    ['2147483647 OPTIONS', 'ok'],
    ['2147483648 OPTIONS', 400],
    ['1', 400],
    ['OPTIONS', 400],
    ['1OPTIONS', 400],
    ['1 OPTIONS extra', 400],
    ['-1 OPTIONS', 400],
    ['1 INVITE', 400],
  ])('RFC 3261 8.1.1.5 / 20.16 CSeq: %j -> %s', (value, expected) => {
    expect(status(check(head({ CSeq: value })))).toBe(expected);
  });

  it('RFC 3261 17.1.1.3, 9.1: ACK and CANCEL carry their own method in CSeq', () => {
    expect(check(head({ start: 'ACK sip:bob@example.com SIP/2.0', CSeq: '1 ACK' })).ok).toBe(true);
    expect(check(head({ start: 'CANCEL sip:bob@example.com SIP/2.0', CSeq: '1 CANCEL' })).ok).toBe(true);
    expect(check(head({ start: 'ACK sip:bob@example.com SIP/2.0', CSeq: '1 INVITE' })).ok).toBe(false);
  });

  it.each([
    ['0', 'ok'],
    ['255', 'ok'],
    ['0068', 'ok'],
    ['256', 400],
    ['-1', 400],
    ['seventy', 400],
  ])('RFC 3261 20.22 Max-Forwards: %j -> %s', (value, expected) => {
    expect(status(check(head({ 'Max-Forwards': value })))).toBe(expected);
  });

  it.each([
    ['3600', 'ok'],
    ['10000000000000000000000000000000', 'ok'], // RFC 4475 3.1.2.4: clamped by the user, not refused
    ['-1', 400],
    ['1h', 400],
    ['', 400],
  ])('RFC 3261 20.19 Expires: %j -> %s', (value, expected) => {
    expect(status(check(head({}, [`Expires: ${value}`])))).toBe(expected);
  });

  it.each([
    ['Sat, 13 Nov 2010 23:29:00 GMT', 'ok'],
    ['Sat, 13 Nov 2010 23:29:00 EST', 400],
    ['Sat, 13 Nov 2010 23:29:00', 400],
    ['Saturday, 13 Nov 2010 23:29:00 GMT', 400],
    ['Sat, 13 November 2010 23:29:00 GMT', 400],
  ])('RFC 3261 20.17 / RFC 4475 3.1.2.12 Date: %j -> %s', (value, expected) => {
    expect(status(check(head({}, [`Date: ${value}`])))).toBe(expected);
  });

  it.each([
    ['abc@192.0.2.1', 'ok'],
    ["intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{", 'ok'],
    ['abc', 'ok'],
    ['a b@c', 400],
    ['a@b@c', 400],
    ['abc@', 400],
    ['a=b', 'ok'], // interop: base64 Call-IDs
    ['caf\xe9', 400],
  ])('RFC 3261 25.1 Call-ID: %j -> %s', (value, expected) => {
    expect(status(check(head({ 'Call-ID': value })))).toBe(expected);
  });

  it.each([
    ['application/sdp', 'ok'],
    ['multipart/mixed;boundary="x y"', 'ok'],
    ['text/plain ; charset = utf-8', 'ok'],
    ['text', 400],
    ['text/', 400],
    ['text/plain;charset', 400],
    ['text/plain;', 400],
  ])('RFC 3261 20.15 Content-Type: %j -> %s', (value, expected) => {
    expect(status(check(head({}, [`Content-Type: ${value}`])))).toBe(expected);
  });

  it.each([
    ['399 example.com "Too many participants"', 'ok'],
    ['301 isi.edu:5060 "Incompatible network protocol", 399 devnull "x"', 'ok'],
    ['1812 overture "In Progress"', 400],
    ['399 example.com Too many', 400],
    ['399  example.com "x"', 400],
  ])('RFC 3261 20.43 Warning: %j -> %s', (value, expected) => {
    expect(status(check(head({}, [`Warning: ${value}`])))).toBe(expected);
  });

  it.each([
    ['Require', '', 400],
    ['Require', 'timer, 100rel', 'ok'],
    ['Supported', '', 'ok'],
    ['Allow', 'INVITE, ACK,BYE', 'ok'],
    ['Allow', 'INVITE;x', 400],
    ['Event', 'conference;id=1', 'ok'],
    ['Event', ';id=1', 400],
  ])('RFC 3261 20.32, 20.37, 20.5 / RFC 6665 token lists: %s: %j -> %s', (name, value, expected) => {
    expect(status(check(head({}, [`${name}: ${value}`])))).toBe(expected);
  });
});

describe('validateSipMessage: addresses (RFC 3261 20.10, 20.20, 20.39, 25.1)', () => {
  it.each([
    ['sip:bob@example.com', 'ok'],
    ['<sip:bob@example.com>', 'ok'],
    ['"Bob" <sip:bob@example.com>;tag=abc', 'ok'],
    ['Bob Smith <sip:bob@example.com>', 'ok'],
    ['caller<sip:bob@example.com>', 'ok'], // RFC 4475 3.1.1.6
    ['"Bob \\"B\\" Smith" <sip:bob@example.com>', 'ok'],
    ['"Jos\xc3\xa9" <sip:bob@example.com>', 'ok'],
    ['<sips:bob@[2001:db8::1]:5061;transport=tls>', 'ok'],
    ['<sip:+15551234567;phone-context=example.com@example.com;user=phone>', 'ok'],
    ['<tel:+15551234567>', 'ok'],
    ['isbn:2983792873', 'ok'], // RFC 4475 3.3.4
    ['sip:bob@example.com ; tag = x', 'ok'],
    ['<sip:bob@example.com>;x-param="quoted ; value";y=[2001:db8::1]', 'ok'],
    ['Bob', 400],
    ['<sip:bob@example.com', 400],
    ['<>', 400],
    ['"Bob <sip:bob@example.com>', 400],
    ['"Bob"sip:bob@example.com', 400],
    ['Bob, Smith <sip:bob@example.com>', 400],
    ['< sip:bob@example.com>', 400],
    ['<sip:bob@example.com >', 400],
    ['<sip:bob@exa mple.com>', 400],
    ['sip:bob@example.com?Subject=x', 400],
    ['<sip:bob@example.com>;tag', 400],
    ['<sip:bob@example.com>;tag="x"', 400],
    ['<sip:bob@example.com>;', 400],
    ['<sip:bob@example.com>;;x', 400],
    ['<sip:bob@example.com> junk', 400],
    ['sip:bob@example.com, sip:carol@example.com', 400],
    ['<sip:bob@256.1.1.1>', 400],
    ['<sip:bob@example.com:99999>', 400],
    ['<sip:bob@example..com>', 400],
    ['<sip:bob@-example.com>', 400],
    ['<sip:bob@example.123>', 400],
    ['<sip:@example.com>', 400],
    ['<sip:bob@example.com;;lr>', 400],
    ['<sip:bob%zz@example.com>', 400],
    ['<sip:b\xe9b@example.com>', 400],
    ['"\xc3\x28" <sip:bob@example.com>', 400], // malformed UTF-8
    ['"\xed\xa0\x80" <sip:bob@example.com>', 400], // UTF-16 surrogate
    ['"\xc0\xaf" <sip:bob@example.com>', 400], // overlong
    ['"\xe2\x82" <sip:bob@example.com>', 400], // truncated
    ['"a\x01b" <sip:bob@example.com>', 400], // raw control char
    ['"a\\\x01b" <sip:bob@example.com>', 'ok'], // quoted-pair
  ])('To: %j -> %s', (value, expected) => {
    expect(status(check(head({ To: value })))).toBe(expected);
  });

  it.each([
    ['*', 'ok'],
    [' * ', 'ok'],
    ['<sip:a@example.com>;q=0.5;expires=60, sip:c@example.com;q=1', 'ok'],
    ['"A" <sip:a@example.com>, <sip:b@example.com>;+sip.instance="<urn:uuid:1>"', 'ok'],
    ['<sip:a@example.com>;q=2', 400],
    ['<sip:a@example.com>;q=0.1234', 400],
    ['<sip:a@example.com>;expires=soon', 400],
    ['*, <sip:a@example.com>', 400],
    ['<sip:a@example.com>,', 400],
    ['<sip:a@example.com>,,<sip:b@example.com>', 400],
  ])('RFC 3261 20.10 Contact: %j -> %s', (value, expected) => {
    expect(status(check(head({}, [`Contact: ${value}`])))).toBe(expected);
  });

  it.each([
    ['<sip:p1.example.com;lr>, <sip:p2.example.com;lr>', 'ok'],
    ['<sip:p1.example.com;lr>', 'ok'],
    ['sip:p1.example.com;lr', 400],
    ['"Proxy" <sip:p1.example.com;lr>;x=1', 'ok'],
  ])('RFC 3261 20.30, 20.34 Route / Record-Route (name-addr only): %j -> %s', (value, expected) => {
    expect(status(check(head({}, [`Route: ${value}`])))).toBe(expected);
    expect(status(check(head({}, [`Record-Route: ${value}`])))).toBe(expected);
  });

  it('RFC 3261 25.1: a raw NUL is legal only as a quoted-pair (RFC 4475 3.1.1.2)', () => {
    expect(check(head({ To: '"NUL:\\\x00" <sip:bob@example.com>' })).ok).toBe(true);
    expect(check(head({ To: '"NUL:\x00" <sip:bob@example.com>' }))).toMatchObject({
      status: 400,
      reason: 'NUL byte in message head',
    });
    expect(check(head({}, ['Subject: a\\\x00b']))).toMatchObject({ status: 400 });
    expect(check(head({ To: '<sip:bob@example.com>;p=\\\x00' }))).toMatchObject({ status: 400 });
  });
});

describe('validateSipMessage: Via (RFC 3261 20.42, 18.2.1; RFC 3581)', () => {
  it.each([
    ['SIP/2.0/UDP 192.0.2.1', 'ok'],
    ['SIP/2.0/TCP [2001:db8::1]:5060;branch=z9hG4bKx;received=2001:db8::2', 'ok'],
    ['SIP/2.0/UDP host.example.com;rport;received=192.0.2.9', 'ok'],
    ['SIP/2.0/UDP host.example.com;rport=5060;ttl=16;maddr=239.1.1.1', 'ok'],
    ['SIP / 2.0 / UDP host.example.com : 5060 ; branch = x , SIP/2.0/TCP other.example.com', 'ok'],
    ['SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK1', 'ok'],
    ['SIP/2.0/UDP', 400],
    ['SIP/2.0/UDPhost.example.com', 400],
    ['SIP/2.0 UDP host.example.com', 400],
    ['SIP/2.0/UDP host_1.example.com', 'ok'], // interop: '_' in host names
    ['SIP/2.0/UDP host.example.com:0x50', 400],
    ['SIP/2.0/UDP host.example.com:65536', 400],
    ['SIP/2.0/UDP host.example.com;ttl=256', 400],
    ['SIP/2.0/UDP host.example.com;received=example.com', 400],
    ['SIP/2.0/UDP host.example.com;rport=x', 400],
    ['SIP/2.0/UDP host.example.com;branch="x"', 400],
    ['SIP/2.0/UDP host.example.com;branch', 400], // via-branch = "branch" EQUAL token
    ['SIP/2.0/UDP host.example.com,', 400],
    ['SIP/2.0/UDP host.example.com;;', 400],
    ['SIP/2.0/UDP [2001:db8::1', 400],
    ['SIP/2.0/UDP [2001:db8::g]', 400],
  ])('Via: %j -> %s', (value, expected) => {
    expect(status(check(head({ Via: value })))).toBe(expected);
  });
});

describe('validateSipMessage: UTF-8 only where the grammar allows it (RFC 3261 25.1)', () => {
  it('accepts UTF-8 in reason phrases, quoted strings and text headers', () => {
    expect(check(head({ start: 'SIP/2.0 200 \xd0\x9e\xd0\x9a' })).ok).toBe(true);
    expect(check(head({}, ['Subject: \xe2\x82\xac 5', 'X-Emoji: \xf0\x9f\x98\x80'])).ok).toBe(true);
  });

  it.each([
    ['SIP/2.0 200 caf\xe9', 'a Latin-1 reason phrase'],
    ['OPTIONS sip:caf\xc3\xa9@example.com SIP/2.0', 'UTF-8 unescaped in a URI'],
  ])('rejects %j (%s)', (start) => {
    expect(check(head({ start })).ok).toBe(false);
  });

  it('rejects Latin-1 or broken UTF-8 in text headers', () => {
    expect(check(head({}, ['Subject: caf\xe9']))).toMatchObject({ reason: 'Bad header value (invalid UTF-8)' });
    expect(check(head({}, ['Subject: \xf4\x90\x80\x80']))).toMatchObject({ status: 400 });
  });
});

describe('validateSipMessage: long input stays linear and correct', () => {
  const BIG: ValidateOptions = { maxHeadLength: 1_000_000 };

  it('accepts a 60 KB quoted display name and rejects it unterminated', () => {
    const name = 'n'.repeat(60000);
    expect(check(head({ To: `"${name}" <sip:bob@example.com>` })).ok).toBe(true);
    expect(check(head({ To: `"${name} <sip:bob@example.com>` }))).toMatchObject({ status: 400 });
  });

  it('accepts 2000 Via values in one header and spots a broken last one', () => {
    const vias = Array.from({ length: 2000 }, (_, n) => `SIP/2.0/UDP h${n}.example.com;branch=z9hG4bK${n}`);
    expect(check(head({ Via: vias.join(', ') }), 0, BIG).ok).toBe(true);
    expect(check(head({ Via: vias.join(', ') + ', SIP/2.0/UDP' }), 0, BIG).ok).toBe(false);
  });

  it('accepts a header folded 10000 times', () => {
    const folded = Array.from({ length: 10000 }, () => ' part').join('\r\n');
    expect(check(head({}, ['Subject: start', folded]), 0, BIG).ok).toBe(true);
  });

  it('accepts 3000 Contact values, and rejects 60 KB of angle brackets, escapes or dots', () => {
    const contacts = Array.from({ length: 3000 }, (_, n) => `<sip:u${n}@example.com>`).join(',');
    expect(check(head({}, [`Contact: ${contacts}`]), 0, BIG).ok).toBe(true);
    expect(check(head({ To: '<'.repeat(60000) })).ok).toBe(false);
    expect(check(head({ To: `<sip:${'%'.repeat(60000)}@example.com>` })).ok).toBe(false);
    expect(check(head({ To: `<sip:bob@${'a.'.repeat(30000)}.com>` })).ok).toBe(false);
    expect(check(head({ To: `<sip:bob@${'@'.repeat(60000)}>` })).ok).toBe(false);
    expect(check(head({ To: `${'a '.repeat(30000)}x` })).ok).toBe(false);
    expect(check(head({ CSeq: `${'1'.repeat(60000)} OPTIONS` })).ok).toBe(false);
  });
});

describe('validateSipMessage: robustness', () => {
  const REASON_PHRASE = /^[A-Za-z0-9 ().,:;/'_-]{1,80}$/;

  it('reasons are short ASCII Reason-Phrases for every fixture it rejects', () => {
    const dirs = ['malformed', 'rfc4475'].map((d) => join(__dirname, '../../../fixtures/sip', d));
    let rejected = 0;
    for (const dir of dirs) {
      for (const f of readdirSync(dir).filter((x) => x.endsWith('.sip') || x.endsWith('.dat'))) {
        const bytes = readFileSync(join(dir, f));
        if (bytes.indexOf('\r\n\r\n') < 0) continue;
        const { head: h, bodyLength } = readMessage(join(dir, f));
        const r = validateSipMessage(h, bodyLength);
        if (r.ok) continue;
        rejected++;
        expect(r.reason).toMatch(REASON_PHRASE);
      }
    }
    expect(rejected).toBeGreaterThan(70);
  });

  it('never throws on random bytes, and always answers with a known status', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(1000), (bytes, body) => {
        const r = validateSipMessage(Buffer.from(bytes).toString('latin1'), body);
        if (!r.ok) {
          expect([400, 505, 513, 416]).toContain(r.status);
          expect(r.reason).toMatch(REASON_PHRASE);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on a valid message with one byte changed', () => {
    const base = head({}, ['Contact: "A" <sip:a@[2001:db8::1]:5060;transport=tcp>;q=0.5', 'Date: Sat, 13 Nov 2010 23:29:00 GMT']);
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 }), (pos, byte) => {
        const mutated = base.slice(0, pos) + String.fromCharCode(byte) + base.slice(pos + 1);
        const r = validateSipMessage(mutated, 0);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses a bodyLength that is not a byte count (a caller bug, not a peer fault)', () => {
    expect(() => validateSipMessage(head(), -1)).toThrow(RangeError);
    expect(() => validateSipMessage(head(), Number.NaN)).toThrow(RangeError);
  });

  it('a string with chars above 0xFF (not latin1) is refused, not crashed on', () => {
    expect(check(head({ Subject: null }, ['Subject: \u20ac'])).ok).toBe(false);
    expect(check(head({ start: 'OPTIONS sip:\u20ac@example.com SIP/2.0' })).ok).toBe(false);
  });
});
