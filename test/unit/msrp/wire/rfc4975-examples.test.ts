import { checkHead } from '../../../../src/msrp/wire/check';
import { parseFrames } from '../../../../src/msrp/wire/frames';
import { getHeader } from '../../../../src/msrp/wire/header-line';
import type { MsrpFrame } from '../../../../src/msrp/wire/types';
import { bytewise, fixture } from './helpers';

/** Parses a fixture in one read and byte by byte; both must agree and raise no error. */
function parseFixture(name: string): MsrpFrame[] {
  const data = fixture(name);
  const whole = parseFrames(data);
  const drip = parseFrames(bytewise(data));
  expect(whole.errors).toEqual([]);
  expect(drip.errors).toEqual([]);
  expect(drip.frames.map((f) => [f.head.raw, f.body, f.flag])).toEqual(whole.frames.map((f) => [f.head.raw, f.body, f.flag]));
  // what a relay forwarding unchanged writes is byte-identical to what came in
  const rebuilt = Buffer.concat(
    whole.frames.flatMap((f) => [
      f.head.raw,
      Buffer.from(f.head.hasBody ? '\r\n' : ''),
      f.body,
      Buffer.from(`${f.head.hasBody ? '\r\n' : ''}-------${f.head.transactionId}${f.flag}\r\n`),
    ]),
  );
  expect(rebuilt.equals(data)).toBe(true);
  for (const f of whole.frames) expect(checkHead(f.head)).toMatchObject({ ok: true });
  return whole.frames;
}

const summary = (f: MsrpFrame): unknown[] => [
  f.head.transactionId,
  f.head.kind === 'request' ? f.head.method : f.head.status,
  f.body.toString('utf8'),
  f.flag,
];

describe('RFC 4975 examples', () => {
  test('section 4: Alice SENDs "Hey Bob, are you there?" and Bob answers 200 OK', () => {
    const frames = parseFixture('rfc4975-4-overview-send-200.msrp');
    expect(frames.map(summary)).toEqual([
      ['a786hjs2', 'SEND', 'Hey Bob, are you there?', '$'],
      ['a786hjs2', 200, '', '$'],
    ]);
    expect(getHeader(frames[0].head, 'To-Path')).toBe('msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp');
    expect(frames[1].head).toMatchObject({ kind: 'response', comment: 'OK', hasBody: false });
  });

  test('section 10.1: basic IM session, two SENDs and their 200s', () => {
    const frames = parseFixture('rfc4975-10.1-basic-im-session.msrp');
    expect(frames.map(summary)).toEqual([
      ['d93kswow', 'SEND', "Hi, I'm Alice!", '$'],
      ['d93kswow', 200, '', '$'],
      ['dkei38sd', 'SEND', 'Hi, Al!', '$'],
      ['dkei38sd', 200, '', '$'],
    ]);
    const check = checkHead(frames[0].head);
    expect(check.ok && check.fields).toMatchObject({
      messageId: '12339sdqwer',
      byteRange: { start: 1, end: 16, total: 16 },
      contentType: { type: 'text', subtype: 'plain', params: [] },
    });
  });

  test('section 10.3: a message sent in two chunks, "+" then "$"', () => {
    const frames = parseFixture('rfc4975-10.3-chunked-message.msrp');
    expect(frames.map((f) => f.flag)).toEqual(['+', '$']);
    const ranges = frames.map((f) => {
      const c = checkHead(f.head);
      return c.ok ? c.fields.byteRange : undefined;
    });
    expect(ranges).toEqual([
      { start: 1, end: 26, total: 45 },
      { start: 27, end: 45, total: 45 },
    ]);
    expect(Buffer.concat(frames.map((f) => f.body)).toString()).toBe('This is the first chunk of a chunked message.');
  });

  test('section 7.1.1: a chunk of unknown length (1-*/*) aborted with "#"', () => {
    const [f] = parseFixture('rfc4975-7.1.1-aborted-chunk.msrp');
    expect(f.flag).toBe('#');
    const c = checkHead(f.head);
    expect(c.ok && c.fields.byteRange).toEqual({ start: 1, end: null, total: null });
  });

  test('section 10.4: system message with Success-Report and Failure-Report "no"', () => {
    const [f] = parseFixture('rfc4975-10.4-system-message.msrp');
    expect(f.body.toString()).toBe('This conference will end in 5 minutes');
    const c = checkHead(f.head);
    expect(c.ok && c.fields).toMatchObject({ successReport: 'no', failureReport: 'no' });
  });

  test('section 10.5: positive report: SEND with Success-Report yes, 200, REPORT with Status 000 200 OK', () => {
    const frames = parseFixture('rfc4975-10.5-positive-report.msrp');
    expect(frames.map((f) => f.head.kind === 'request' ? f.head.method : f.head.status)).toEqual(['SEND', 200, 'REPORT']);
    expect(frames[0].body.toString()).toContain('<a href="http://www.example.com/foobar">foobar</a>');
    const report = checkHead(frames[2].head);
    expect(report.ok && report.fields).toMatchObject({
      messageId: '12339sdqwer',
      status: { namespace: 0, code: 200, reason: 'OK' },
      byteRange: { start: 1, end: 106, total: 106 },
    });
    expect(frames[2].head.hasBody).toBe(false);
  });

  test('RFC 4976 section 5: AUTH, a method RFC 4975 does not define, parses for a 501', () => {
    const [f] = parseFixture('rfc4976-auth-unknown-method.msrp');
    expect(f.head).toMatchObject({ kind: 'request', method: 'AUTH', transactionId: '49fh' });
    const c = checkHead(f.head);
    expect(c.ok && c.fields.toPath[0]).toMatchObject({ scheme: 'msrps', user: 'alice', host: 'intra.example.com', port: undefined, sessionId: undefined });
  });
});
