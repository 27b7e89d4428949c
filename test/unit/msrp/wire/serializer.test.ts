import { parseFrames } from '../../../../src/msrp/wire/frames';
import {
  MsrpResponseEncoder,
  containsEndLine,
  encodeEndLine,
  encodeRequest,
  encodeRequestHead,
  encodeResponse,
  responseTo,
} from '../../../../src/msrp/wire/serializer';
import { fixture } from './helpers';

const alice = 'msrp://alicepc.example.com:7777/iau39soe2843z;tcp';
const bob = 'msrp://bob.example.com:8888/9di4eae923wzd;tcp';

describe('RFC 4975 serializer', () => {
  test('section 10.1: writes the Alice SEND and Bob 200 byte for byte', () => {
    const send = encodeRequest(
      {
        transactionId: 'd93kswow',
        method: 'SEND',
        toPath: [bob],
        fromPath: [alice],
        messageId: '12339sdqwer',
        byteRange: { start: 1, end: 16, total: 16 },
        contentType: 'text/plain',
      },
      Buffer.from("Hi, I'm Alice!"),
    );
    const ok = encodeResponse(responseTo({ transactionId: 'd93kswow' }, { toPath: [bob], fromPath: [alice] }, 200, 'OK'));
    const expected = fixture('rfc4975-10.1-basic-im-session.msrp');
    expect(Buffer.concat([send, ok]).equals(expected.subarray(0, send.length + ok.length))).toBe(true);
  });

  test('section 9 header order: To-Path, From-Path, Message-ID, ..., extensions, MIME headers, Content-Type', () => {
    const head = encodeRequestHead({
      transactionId: 'tid00001',
      method: 'SEND',
      toPath: [bob],
      fromPath: [alice],
      status: { namespace: 0, code: 200, reason: 'OK' },
      byteRange: { start: 1, end: null, total: null },
      failureReport: 'partial',
      successReport: 'yes',
      messageId: 'm1234',
      extraHeaders: [{ name: 'X-Ext', value: 'v' }],
      mimeHeaders: [{ name: 'Content-Disposition', value: 'inline' }],
      contentType: { type: 'text', subtype: 'plain', params: [{ name: 'charset', value: 'utf-8' }] },
    }).toString();
    expect(head.split('\r\n').map((l) => l.split(':')[0])).toEqual([
      'MSRP tid00001 SEND',
      'To-Path',
      'From-Path',
      'Message-ID',
      'Success-Report',
      'Failure-Report',
      'Byte-Range',
      'Status',
      'X-Ext',
      'Content-Disposition',
      'Content-Type',
      '',
      '',
    ]);
    expect(head.endsWith('Content-Type: text/plain;charset=utf-8\r\n\r\n')).toBe(true);
  });

  test('section 7.1: head and body chunks written separately frame the same as one write', () => {
    const spec = { transactionId: 'tid00002', method: 'SEND', toPath: [bob], fromPath: [alice], messageId: 'm1234', contentType: 'text/plain' };
    const streamed = Buffer.concat([encodeRequestHead(spec), Buffer.from('part 1, '), Buffer.from('part 2'), encodeEndLine('tid00002', '+', true)]);
    expect(streamed.equals(encodeRequest(spec, Buffer.from('part 1, part 2'), '+'))).toBe(true);
    const [f] = parseFrames(streamed).frames;
    expect([f.body.toString(), f.flag]).toEqual(['part 1, part 2', '+']);
  });

  test('a request without Content-Type has no body and no empty line (section 9)', () => {
    const b = encodeRequest({ transactionId: 'tid00003', method: 'SEND', toPath: [bob], fromPath: [alice], messageId: 'm1234' });
    expect(b.toString().endsWith('Message-ID: m1234\r\n-------tid00003$\r\n')).toBe(true);
  });

  test('section 7.2: a response goes to the previous hop, from this hop', () => {
    const relay = 'msrp://relay.example.com:2855/r1;tcp';
    expect(responseTo({ transactionId: 'tid00004' }, { toPath: [relay, bob], fromPath: [alice] }, 403, 'Forbidden')).toEqual({
      transactionId: 'tid00004',
      status: 403,
      comment: 'Forbidden',
      toPath: [alice],
      fromPath: [relay],
    });
  });

  test('refuses header injection, bad ids and a body that contains its own end-line', () => {
    const base = { transactionId: 'tid00005', method: 'SEND', toPath: [bob], fromPath: [alice], messageId: 'm1234' };
    expect(() => encodeRequestHead({ ...base, extraHeaders: [{ name: 'X-A', value: 'a\r\nTo-Path: evil' }] })).toThrow(RangeError);
    expect(() => encodeRequestHead({ ...base, extraHeaders: [{ name: 'To-Path', value: bob }] })).toThrow(RangeError);
    expect(() => encodeRequestHead({ ...base, messageId: 'x' })).toThrow(RangeError);
    expect(() => encodeRequestHead({ ...base, contentType: 'text' })).toThrow(RangeError);
    expect(() => encodeRequest(base, Buffer.from('body'))).toThrow(/Content-Type/);
    expect(() => encodeRequest({ ...base, contentType: 'text/plain' }, Buffer.from('a\r\n-------tid00005$\r\nb'))).toThrow(/end-line/);
    expect(() => encodeEndLine('no', '$', false)).toThrow(RangeError);
  });

  test('containsEndLine also sees an end-line the framing CRLF would complete', () => {
    expect(containsEndLine(Buffer.from('x\r\n-------abcd$'), 'abcd')).toBe(true);
    expect(containsEndLine(Buffer.from('-------abcd#\r\nx'), 'abcd')).toBe(true);
    expect(containsEndLine(Buffer.from('-------abcd$\rx'), 'abcd')).toBe(false);
    expect(containsEndLine(Buffer.from('-------abcde$\r\n'), 'abcd')).toBe(false);
  });
});

describe('MsrpResponseEncoder (RFC 4975 section 7.2 responses on one stream)', () => {
  const A = 'msrp://a.example.com:7777/s1;tcp';
  const B = 'msrp://b.example.com:8888/s2;tcp';
  const C = 'msrp://[2001:db8::1]:9/s3;tcp';

  test('writes the same bytes as encodeResponse, paths repeated or changed', () => {
    const enc = new MsrpResponseEncoder();
    const cases: [string, number, string | undefined, string, string][] = [
      ['tid00001', 200, 'OK', A, B],
      ['tid00002', 200, 'OK', A, B],
      ['tid00003', 481, 'No Such Session', C, B],
      ['tid00004', 408, undefined, A, B],
    ];
    for (const [transactionId, status, comment, to, from] of cases) {
      const expected = encodeResponse({ transactionId, status, comment, toPath: [to], fromPath: [from] });
      expect(enc.encode(transactionId, status, comment, to, from).equals(expected)).toBe(true);
    }
  });

  test('refuses what encodeResponse refuses', () => {
    const enc = new MsrpResponseEncoder();
    expect(() => enc.encode('x', 200, 'OK', A, B)).toThrow(RangeError);
    expect(() => enc.encode('tid00005', 200, 'OK', 'sip:bob@example.com', B)).toThrow(RangeError);
    expect(() => enc.encode('tid00006', 200, 'bad\r\ncomment', A, B)).toThrow(RangeError);
  });
});
