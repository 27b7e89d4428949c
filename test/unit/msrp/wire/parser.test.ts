import { checkHead } from '../../../../src/msrp/wire/check';
import { parseFrames } from '../../../../src/msrp/wire/frames';
import { getHeader } from '../../../../src/msrp/wire/header-line';
import { MsrpParser } from '../../../../src/msrp/wire/parser';
import type { MsrpWireError } from '../../../../src/msrp/wire/types';
import { bytewise, crlf, runParser } from './helpers';

const PATHS = 'To-Path: msrp://b.example.com:8888/s2;tcp\nFrom-Path: msrp://a.example.com:7777/s1;tcp\n';
const send = (tid: string, body: string, flag = '$'): Buffer =>
  Buffer.concat([
    crlf(`MSRP ${tid} SEND\n${PATHS}Message-ID: m1234\nContent-Type: text/plain\n\n`),
    Buffer.from(body, 'latin1'),
    crlf(`\n-------${tid}${flag}\n`),
  ]);
const ok200 = (tid: string): Buffer => crlf(`MSRP ${tid} 200 OK\n${PATHS}-------${tid}$\n`);

function errorsOf(events: ReturnType<typeof runParser>['events']): MsrpWireError[] {
  return events.flatMap((e) => (e.type === 'error' ? [e.error] : []));
}

describe('RFC 4975 section 7.1 / 9: framing', () => {
  test('a SEND with a body: head, body bytes, end flag; the CRLF before the end-line is not body', () => {
    const { frames, errors } = parseFrames(send('tid00001', 'hello'));
    expect(errors).toEqual([]);
    expect(frames).toHaveLength(1);
    const f = frames[0];
    expect(f.head).toMatchObject({ kind: 'request', method: 'SEND', transactionId: 'tid00001', hasBody: true });
    expect(f.body.toString()).toBe('hello');
    expect(f.flag).toBe('$');
    expect(getHeader(f.head, 'message-id')).toBe('m1234');
  });

  test('a response: end-line right after the headers, no body (section 9 msrp-response)', () => {
    const { frames, errors } = parseFrames(ok200('tid00001'));
    expect(errors).toEqual([]);
    expect(frames[0].head).toMatchObject({ kind: 'response', status: 200, comment: 'OK', hasBody: false });
    expect(frames[0].body.length).toBe(0);
  });

  test('a response without comment; a request without body (section 9)', () => {
    const input = Buffer.concat([
      crlf(`MSRP tid00002 481\n${PATHS}-------tid00002$\n`),
      crlf(`MSRP tid00003 SEND\n${PATHS}Message-ID: abcd\n-------tid00003$\n`),
    ]);
    const { frames, errors } = parseFrames(input);
    expect(errors).toEqual([]);
    expect(frames.map((f) => f.head.kind)).toEqual(['response', 'request']);
    expect(frames[0].head).toMatchObject({ status: 481, comment: undefined });
    expect(frames[1].head.hasBody).toBe(false);
  });

  test('an empty body: Content-Type, empty line, CRLF, end-line', () => {
    const { frames, errors } = parseFrames(send('tid00004', ''));
    expect(errors).toEqual([]);
    expect(frames[0].body.length).toBe(0);
    expect(frames[0].head.hasBody).toBe(true);
  });

  test('tolerance: empty line directly followed by the end-line reads as an empty body', () => {
    const input = crlf(`MSRP tid00005 REPORT\n${PATHS}Message-ID: m1234\nStatus: 000 200 OK\n\n-------tid00005$\n`);
    for (const chunks of [[input], bytewise(input)]) {
      const { frames, errors } = parseFrames(chunks);
      expect(errors).toEqual([]);
      expect(frames).toHaveLength(1);
      expect(frames[0].body.length).toBe(0);
    }
  });

  test("'+' and '#' flags end a chunk (section 7.1.1)", () => {
    const input = Buffer.concat([send('tid00006', 'part one', '+'), send('tid00007', 'dropped', '#')]);
    const { frames } = parseFrames(input);
    expect(frames.map((f) => f.flag)).toEqual(['+', '#']);
  });

  test('look-alike end-lines inside a body are body bytes (section 7.1)', () => {
    const tricky = [
      '\r\n-------otherid$\r\n', // another transaction id
      '\r\n-------tid00008x$\r\n', // our id with a longer suffix
      '\r\n-------tid0000$\r\n', // a prefix of our id
      '\r\n-------tid00008!\r\n', // not a flag
      '\r\n-------tid00008$X', // flag not followed by CRLF
      '\r\n-------tid00008$\r', // CR without LF
      '-------tid0000', // cut short
    ].join('');
    const input = send('tid00008', tricky);
    for (const chunks of [[input], bytewise(input)]) {
      const { frames, errors } = parseFrames(chunks);
      expect(errors).toEqual([]);
      expect(frames).toHaveLength(1);
      expect(frames[0].body.toString('latin1')).toBe(tricky);
    }
  });

  test('several frames in one read, and stray CRLF between frames is skipped', () => {
    const input = Buffer.concat([send('tid00009', 'a'), crlf('\n\n'), ok200('tid00009'), send('tid00010', 'b')]);
    const { frames, errors } = parseFrames(input);
    expect(errors).toEqual([]);
    expect(frames.map((f) => f.head.transactionId)).toEqual(['tid00009', 'tid00009', 'tid00010']);
  });

  test('section 9 other-method: an unknown method parses (the upper layer answers 501)', () => {
    const { frames, errors } = parseFrames(crlf(`MSRP tid00011 NICKNAME\n${PATHS}Use-Nickname: "bob"\n-------tid00011$\n`));
    expect(errors).toEqual([]);
    expect(frames[0].head).toMatchObject({ kind: 'request', method: 'NICKNAME' });
    expect(checkHead(frames[0].head).ok).toBe(true);
  });

  test('body bytes are slices of the input, not copies', () => {
    const input = send('tid00012', 'x'.repeat(1024));
    const { events } = runParser([input]);
    const bodies = events.flatMap((e) => (e.type === 'body' ? [e.chunk] : []));
    expect(bodies).toHaveLength(1);
    expect(bodies[0].buffer).toBe(input.buffer);
    const head = events.find((e) => e.type === 'head');
    expect(head?.type === 'head' && head.head.raw.buffer).toBe(input.buffer);
  });

  test('a 1 MB body is streamed: only an end-line-sized tail is ever held', () => {
    const body = Buffer.alloc(1 << 20, 0x2d); // all hyphens: every read may end inside a look-alike
    for (let i = 0; i < body.length; i += 4096) body[i] = 0x0d;
    const input = Buffer.concat([send('tid00040', ''), crlf(`MSRP tid00041 SEND\n${PATHS}Message-ID: m1\nContent-Type: a/b\n\n`), body, crlf('\n-------tid00041$\n')]);
    let received = 0;
    let maxHeld = 0;
    const parser = new MsrpParser({
      onFrameHead: () => undefined,
      onBodyChunk: (c) => {
        received += c.length;
      },
      onFrameEnd: () => undefined,
      onError: (e) => {
        throw new Error(e.message);
      },
    });
    for (let i = 0; i < input.length; i += 1000) {
      parser.feed(input.subarray(i, i + 1000));
      if (parser.phase === 'body') maxHeld = Math.max(maxHeld, parser.bufferedBytes);
    }
    expect(received).toBe(body.length);
    expect(maxHeld).toBeLessThan('\r\n-------tid00041$\r\n'.length);
    expect(parser.phase).toBe('start-line');
  });

  test('head.raw holds the start line and header lines exactly', () => {
    const input = send('tid00013', 'hi');
    const { frames } = parseFrames(bytewise(input));
    const raw = frames[0].head.raw.toString();
    expect(raw).toBe(`MSRP tid00013 SEND\r\n${PATHS.replace(/\n/g, '\r\n')}Message-ID: m1234\r\nContent-Type: text/plain\r\n`);
  });

  test('header syntax errors do not break framing; checkHead answers 400', () => {
    const input = crlf(`MSRP tid00014 SEND\n${PATHS}Message-ID: m1234\nno colon here\n-------tid00014$\n`);
    const { frames, errors } = parseFrames(input);
    expect(errors).toEqual([]);
    expect(frames[0].head.syntaxErrors).toHaveLength(1);
    expect(checkHead(frames[0].head)).toMatchObject({ ok: false, status: 400 });
  });
});

describe('RFC 4975 section 7.1: framing errors', () => {
  test('a 1 MB header block is rejected without buffering it (maxHeaderBytes)', () => {
    const line = Buffer.from(`X-Filler: ${'a'.repeat(1000)}\r\n`);
    const start = crlf(`MSRP tid00020 SEND\n${PATHS}`);
    const errors: MsrpWireError[] = [];
    const parser = new MsrpParser(
      { onFrameHead: () => undefined, onBodyChunk: () => undefined, onFrameEnd: () => undefined, onError: (e) => errors.push(e) },
      { maxHeaderBytes: 8192 },
    );
    parser.feed(start);
    let fed = start.length;
    let maxBuffered = 0;
    for (let i = 0; i < 1024 && errors.length === 0; i++) {
      parser.feed(line);
      fed += line.length;
      maxBuffered = Math.max(maxBuffered, parser.bufferedBytes);
    }
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: 'headers-too-large', recovery: 'close', answerStatus: 400 });
    expect(errors[0].start).toMatchObject({ transactionId: 'tid00020', method: 'SEND' });
    expect(getHeader({ headers: errors[0].headers }, 'From-Path')).toBe('msrp://a.example.com:7777/s1;tcp');
    expect(fed).toBeLessThan(8192 + 2 * line.length);
    expect(maxBuffered).toBeLessThanOrEqual(8192);
    expect(parser.phase).toBe('closed');
  });

  test('one huge header line in a single read is cut at the cap', () => {
    const input = Buffer.concat([crlf(`MSRP tid00021 SEND\n${PATHS}X-Big: `), Buffer.alloc(1 << 20, 0x61)]);
    const { events, parser } = runParser([input], { maxHeaderBytes: 4096 }, false);
    expect(errorsOf(events).map((e) => e.kind)).toEqual(['headers-too-large']);
    expect(parser.bufferedBytes).toBe(0);
  });

  test('missing end-line at the end of the stream: truncated, with the transaction id', () => {
    const input = send('tid00022', 'hello').subarray(0, -5);
    const { frames, errors } = parseFrames(input);
    expect(frames).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: 'truncated', recovery: 'close', answerStatus: 400 });
    expect(errors[0].start?.transactionId).toBe('tid00022');
  });

  test('missing end-line of a bodiless frame: the next start line is recognised and parsed', () => {
    const input = Buffer.concat([crlf(`MSRP tid00023 SEND\n${PATHS}Message-ID: m1234\n`), send('tid00024', 'next')]);
    const { frames, errors } = parseFrames(bytewise(input));
    expect(errors.map((e) => [e.kind, e.start?.transactionId, e.recovery])).toEqual([
      ['missing-end-line', 'tid00023', 'resync'],
    ]);
    expect(frames.map((f) => [f.head.transactionId, f.body.toString()])).toEqual([['tid00024', 'next']]);
  });

  test('wrong transaction id on the end-line of a bodiless frame: 400-able error, then resync', () => {
    const input = Buffer.concat([crlf(`MSRP tid00025 SEND\n${PATHS}Message-ID: m1234\n-------tid99999$\n`), ok200('tid00026')]);
    const { frames, errors } = parseFrames(input);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: 'bad-end-line', recovery: 'resync', answerStatus: 400 });
    expect(frames.map((f) => f.head.transactionId)).toEqual(['tid00026']);
  });

  test('wrong transaction id after a body: the body runs on (it is body data) until the stream ends', () => {
    const input = Buffer.concat([
      crlf(`MSRP tid00027 SEND\n${PATHS}Message-ID: m1234\nContent-Type: text/plain\n\nhi\n-------tid99999$\n`),
      ok200('tid00028'),
    ]);
    const { frames, errors } = parseFrames(input);
    expect(frames).toEqual([]);
    expect(errors.map((e) => e.kind)).toEqual(['truncated']);
  });

  test('garbage before a frame: one bad-start-line error, then the frame', () => {
    const input = Buffer.concat([Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\nMSRP garbage\r\n'), send('tid00029', 'ok')]);
    for (const chunks of [[input], bytewise(input)]) {
      const { frames, errors } = parseFrames(chunks);
      expect(errors.map((e) => [e.kind, e.recovery, e.answerStatus])).toEqual([['bad-start-line', 'resync', undefined]]);
      expect(frames.map((f) => f.body.toString())).toEqual(['ok']);
    }
  });

  test('a malformed start line (bad transaction id) is a bad-start-line', () => {
    const { errors } = parseFrames(crlf(`MSRP ab SEND\n${PATHS}-------ab$\n`));
    expect(errors.map((e) => e.kind)).toEqual(['bad-start-line']);
  });

  test('maxBodyBytes closes the parser', () => {
    const { frames, errors } = parseFrames(send('tid00030', 'x'.repeat(100)), { maxBodyBytes: 50 });
    expect(frames).toEqual([]);
    expect(errors.map((e) => [e.kind, e.recovery])).toEqual([['body-too-large', 'close']]);
  });

  test('a handler may close the parser; nothing is reported after', () => {
    const seen: string[] = [];
    const parser: MsrpParser = new MsrpParser({
      onFrameHead: (h) => {
        seen.push(h.transactionId);
        parser.close();
      },
      onBodyChunk: () => seen.push('body'),
      onFrameEnd: () => seen.push('end'),
      onError: () => seen.push('error'),
    });
    parser.feed(Buffer.concat([send('tid00031', 'x'), send('tid00032', 'y')]));
    parser.finish();
    expect(seen).toEqual(['tid00031']);
  });

  test('feeding from inside a handler is refused', () => {
    const parser: MsrpParser = new MsrpParser({
      onFrameHead: () => parser.feed(Buffer.from('x')),
      onBodyChunk: () => undefined,
      onFrameEnd: () => undefined,
      onError: () => undefined,
    });
    expect(() => parser.feed(ok200('tid00033'))).toThrow(/inside a handler/);
  });
});
