import fc from 'fast-check';
import {
  chunkReportRange,
  roomInMessage,
  formatByteRange,
  isByteRange,
  MAX_BYTE_COUNT,
  formatContentType,
  formatStatus,
  parseByteRange,
  parseContentType,
  parseFailureReport,
  parseMessageId,
  parseStatus,
  parseSuccessReport,
  toStatusReason,
} from '../../../../src/msrp/wire/headers';
import { parseHeaderLine } from '../../../../src/msrp/wire/header-line';
import { formatStartLine, parseStartLine } from '../../../../src/msrp/wire/start-line';
import { isUtf8Text, quoteWireText } from '../../../../src/msrp/wire/grammar';

describe('RFC 4975 section 9: start line', () => {
  test('request, response with and without comment', () => {
    expect(parseStartLine('MSRP a786hjs2 SEND')).toEqual({ kind: 'request', transactionId: 'a786hjs2', method: 'SEND' });
    expect(parseStartLine('MSRP a786hjs2 200 OK')).toEqual({ kind: 'response', transactionId: 'a786hjs2', status: 200, comment: 'OK' });
    expect(parseStartLine('MSRP a786hjs2 481')).toEqual({ kind: 'response', transactionId: 'a786hjs2', status: 481, comment: undefined });
    expect(formatStartLine({ kind: 'response', transactionId: 'a786hjs2', status: 200, comment: 'OK' })).toBe('MSRP a786hjs2 200 OK');
  });

  test.each([
    'msrp a786hjs2 SEND', // pMSRP is upper case
    'MSRP a786hjs2 send', // methods are UPALPHA
    'MSRP abc SEND', // ident has 4 to 32 characters
    `MSRP ${'a'.repeat(33)} SEND`,
    'MSRP a786_hjs2 SEND',
    'MSRP a786hjs2 20 OK',
    'MSRP a786hjs2 2000',
    'MSRP a786hjs2',
    'MSRP a786hjs2 SEND extra',
  ])('rejects %s', (line) => {
    expect(parseStartLine(line)).toBeUndefined();
  });

  test('formatting refuses what would not parse', () => {
    expect(() => formatStartLine({ kind: 'request', transactionId: 'ab', method: 'SEND' })).toThrow(RangeError);
    expect(() => formatStartLine({ kind: 'request', transactionId: 'abcd', method: 'SEND\r\nX' })).toThrow(RangeError);
  });
});

describe('RFC 4975 section 9: header lines', () => {
  test('name, colon, SP, value; blanks around the value dropped', () => {
    expect(parseHeaderLine('Message-ID: 87652491')).toEqual({ name: 'Message-ID', value: '87652491' });
    expect(parseHeaderLine('X-Thing:\tv a l ')).toEqual({ name: 'X-Thing', value: 'v a l' });
  });
  test('malformed lines give a reason', () => {
    expect(typeof parseHeaderLine('no colon')).toBe('string');
    expect(typeof parseHeaderLine(': empty name')).toBe('string');
    expect(typeof parseHeaderLine('1abc: bad name')).toBe('string');
    expect(typeof parseHeaderLine('X: bell\u0007')).toBe('string');
  });
  test('RFC 4975 7.2: the reason for a bad name quotes it as utf8text, short (it becomes a 400 comment)', () => {
    const reason = parseHeaderLine(`X\u0001\rY\u007f${'z'.repeat(100)}: v`) as string;
    expect(isUtf8Text(reason)).toBe(true);
    expect(reason.length).toBeLessThan(80);
    expect(quoteWireText('a\u2028b\tc\u0000')).toBe('a\u2028b\tc?');
  });
});

describe('RFC 4975 section 7.1.1 / 9: Byte-Range', () => {
  test('known and unknown (*) end and total', () => {
    expect(parseByteRange('1-25/25')).toEqual({ start: 1, end: 25, total: 25 });
    expect(parseByteRange('1-*/*')).toEqual({ start: 1, end: null, total: null });
    expect(parseByteRange('2049-*/4096')).toEqual({ start: 2049, end: null, total: 4096 });
    expect(parseByteRange('1-0/0')).toEqual({ start: 1, end: 0, total: 0 });
    expect(formatByteRange({ start: 1, end: null, total: 10 })).toBe('1-*/10');
  });
  test.each(['0-5/5', '5-3/10', '1-11/10', '1-5', 'a-5/5', '1-5/5 ', '-1-5/5', `1-${'9'.repeat(20)}/*`])('rejects %s', (v) => {
    expect(parseByteRange(v)).toBeUndefined();
  });
  test('RFC 4975 7.1.2: a report range from peer values always formats; what cannot be filled in is passed through', () => {
    expect(chunkReportRange({ start: 1, end: null, total: 10 }, 5)).toEqual({ start: 1, end: 5, total: 10 });
    expect(chunkReportRange({ start: 1, end: null, total: 0 }, 5)).toEqual({ start: 1, end: null, total: 0 });
    expect(chunkReportRange({ start: 999999999999999, end: null, total: null }, 5)).toEqual({ start: 999999999999999, end: null, total: null });
    expect(chunkReportRange(undefined, 7)).toEqual({ start: 1, end: 7, total: null });
    expect(() => formatByteRange({ start: 1, end: 5, total: 0 })).toThrow(RangeError);
    // any range a peer can send (it parsed), any number of body bytes seen
    const count = fc.oneof(fc.nat(20), fc.integer({ min: MAX_BYTE_COUNT - 20, max: MAX_BYTE_COUNT }));
    const peerRange = fc
      .record({ start: count, end: fc.option(count, { nil: null }), total: fc.option(count, { nil: null }) })
      .filter(isByteRange);
    fc.assert(
      fc.property(fc.option(peerRange, { nil: undefined }), fc.nat(1 << 20), (range, bytes) => {
        const r = chunkReportRange(range, bytes);
        expect(parseByteRange(formatByteRange(r))).toEqual(r);
      }),
    );
  });
});

describe('RFC 4975 section 9: Status, reports, Message-ID', () => {
  test('Status: namespace, code, optional reason', () => {
    expect(parseStatus('000 200 OK')).toEqual({ namespace: 0, code: 200, reason: 'OK' });
    expect(parseStatus('000 413')).toEqual({ namespace: 0, code: 413, reason: undefined });
    expect(parseStatus('000 408 Request Timeout')).toMatchObject({ reason: 'Request Timeout' });
    expect(parseStatus('0 200 OK')).toBeUndefined();
    expect(parseStatus('000 2000')).toBeUndefined();
    expect(formatStatus({ namespace: 0, code: 200, reason: 'OK' })).toBe('000 200 OK');
  });
  test('RFC 4975 section 9: a text-reason is utf8text, U+2028/U+2029 included, and formats back', () => {
    expect(parseStatus('000 400 bad\u2028news\u2029')).toEqual({ namespace: 0, code: 400, reason: 'bad\u2028news\u2029' });
    expect(formatStatus({ namespace: 0, code: 400, reason: 'bad\u2028news' })).toBe('000 400 bad\u2028news');
    expect(parseStatus('000 400 a\r\nb')).toBeUndefined();
  });
  test('RFC 4975 section 9: a response comment becomes a Status reason only when it is one (blanks trimmed)', () => {
    expect(toStatusReason(' \tbad\u2028news \t')).toBe('bad\u2028news');
    expect(toStatusReason('  ')).toBeUndefined();
    expect(toStatusReason(undefined)).toBeUndefined();
    expect(toStatusReason('a\u0001b')).toBeUndefined();
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        const reason = toStatusReason(text);
        if (reason !== undefined) expect(parseStatus(formatStatus({ namespace: 0, code: 400, reason }))?.reason).toBe(reason);
      }),
    );
  });
  test('Success-Report yes/no and Failure-Report yes/no/partial (ABNF literals ignore case)', () => {
    expect(parseSuccessReport('yes')).toBe('yes');
    expect(parseSuccessReport('No')).toBe('no');
    expect(parseSuccessReport('partial')).toBeUndefined();
    expect(parseFailureReport('partial')).toBe('partial');
    expect(parseFailureReport('maybe')).toBeUndefined();
  });
  test('Message-ID is an ident', () => {
    expect(parseMessageId('12339sdqwer')).toBe('12339sdqwer');
    expect(parseMessageId('456')).toBeUndefined();
    expect(parseMessageId('a b c d')).toBeUndefined();
  });
});

describe('RFC 4975 section 9: Content-Type', () => {
  test('type/subtype with token and quoted-string parameters', () => {
    expect(parseContentType('Text/Plain;charset=UTF-8; format="flowed \\"x\\""')).toEqual({
      type: 'text',
      subtype: 'plain',
      params: [
        { name: 'charset', value: 'UTF-8' },
        { name: 'format', value: 'flowed "x"' },
      ],
    });
    expect(parseContentType('message/cpim')).toEqual({ type: 'message', subtype: 'cpim', params: [] });
  });
  test.each(['text', '/plain', 'text/', 'text/plain;', 'text/plain;a="x', 'te xt/plain'])('rejects %s', (v) => {
    expect(parseContentType(v)).toBeUndefined();
  });
  test('format quotes what is not a token', () => {
    const text = formatContentType({ type: 'text', subtype: 'plain', params: [{ name: 'x', value: 'a b"c' }] });
    expect(text).toBe('text/plain;x="a b\\"c"');
    expect(parseContentType(text)?.params[0].value).toBe('a b"c');
  });
});

describe('roomInMessage (RFC 4975 7.1 / 10.4: a relay bounds a message by its chunks\' Byte-Ranges)', () => {
  test('what a chunk may still carry, or -1 when its Byte-Range already says the message is too large', () => {
    expect(roomInMessage(undefined, 100)).toBe(100);
    expect(roomInMessage({ start: 1, end: null, total: null }, 100)).toBe(100);
    expect(roomInMessage({ start: 41, end: null, total: null }, 100)).toBe(60);
    expect(roomInMessage({ start: 1, end: 100, total: 100 }, 100)).toBe(100);
    expect(roomInMessage({ start: 1, end: 10, total: 101 }, 100)).toBe(-1);
    expect(roomInMessage({ start: 1, end: 101, total: null }, 100)).toBe(-1);
    expect(roomInMessage({ start: 101, end: null, total: null }, 100)).toBe(-1);
  });

  test('never more than max bytes in all: start - 1 + room <= max for every range it lets through', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.option(fc.integer({ min: 0, max: 1e9 })), fc.option(fc.integer({ min: 0, max: 1e9 })), fc.integer({ min: 1, max: 1e9 }), (start, end, total, max) => {
        const room = roomInMessage({ start, end, total }, max);
        if (room >= 0) expect(start - 1 + room).toBeLessThanOrEqual(max);
        else expect((total !== null && total > max) || (end !== null && end > max) || start - 1 >= max).toBe(true);
      }),
    );
  });
});
