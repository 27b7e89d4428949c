import { checkHead, MsrpHeadCache } from '../../../../src/msrp/wire/check';
import { parseFrames } from '../../../../src/msrp/wire/frames';
import type { MsrpFrameHead } from '../../../../src/msrp/wire/types';
import { crlf } from './helpers';

const TO = 'To-Path: msrp://b.example.com:8888/s2;tcp';
const FROM = 'From-Path: msrp://a.example.com:7777/s1;tcp';

function head(startLine: string, headers: string[], body?: string): MsrpFrameHead {
  const tid = startLine.split(' ')[1];
  const text =
    body === undefined
      ? `${startLine}\n${headers.map((h) => `${h}\n`).join('')}-------${tid}$\n`
      : `${startLine}\n${headers.map((h) => `${h}\n`).join('')}\n${body}\n-------${tid}$\n`;
  const { frames, errors } = parseFrames(crlf(text));
  expect(errors).toEqual([]);
  return frames[0].head;
}

const reasonOf = (h: MsrpFrameHead, strictOrder = true): string | undefined => {
  const r = checkHead(h, { strictOrder });
  return r.ok ? undefined : r.reason;
};

describe('RFC 4975 section 7.1: required headers', () => {
  test('a SEND with To-Path, From-Path, Message-ID is fine and decoded', () => {
    const r = checkHead(head('MSRP tid00001 SEND', [TO, FROM, 'Message-ID: m1234', 'Content-Type: text/plain'], 'hi'));
    expect(r.ok).toBe(true);
    expect(r.ok && r.fields.toPath[0].sessionId).toBe('s2');
  });

  test('section 7.1.1: SEND without Message-ID is a 400', () => {
    const r = checkHead(head('MSRP tid00002 SEND', [TO, FROM]));
    expect(r).toEqual({ ok: false, status: 400, reason: 'SEND without Message-ID header' });
  });

  test('section 7.1.2: REPORT needs Message-ID and Status', () => {
    expect(reasonOf(head('MSRP tid00003 REPORT', [TO, FROM, 'Message-ID: m1234']))).toBe('REPORT without Status header');
    expect(reasonOf(head('MSRP tid00004 REPORT', [TO, FROM, 'Message-ID: m1234', 'Status: 000 200 OK']))).toBeUndefined();
  });

  test('section 7.2: responses need To-Path and From-Path only', () => {
    expect(reasonOf(head('MSRP tid00005 200 OK', [TO, FROM]))).toBeUndefined();
    expect(reasonOf(head('MSRP tid00006 200 OK', [TO]))).toBe('missing From-Path header');
    expect(reasonOf(head('MSRP tid00007 200 OK', [FROM]))).toBe('missing To-Path header');
  });

  test('section 9: unknown methods only need the paths (the upper layer answers 501)', () => {
    expect(reasonOf(head('MSRP tid00008 FOO', [TO, FROM]))).toBeUndefined();
  });

  test('section 9: To-Path then From-Path first, Content-Type last (strict order can be turned off)', () => {
    const swapped = head('MSRP tid00009 SEND', [FROM, TO, 'Message-ID: m1234']);
    expect(reasonOf(swapped)).toBe('To-Path and From-Path must be the first headers');
    expect(reasonOf(swapped, false)).toBeUndefined();
    const ctFirst = head('MSRP tid00010 SEND', [TO, FROM, 'Content-Type: text/plain', 'Message-ID: m1234'], 'x');
    expect(reasonOf(ctFirst)).toBe('Content-Type must be the last header before the body');
    expect(reasonOf(ctFirst, false)).toBeUndefined();
  });

  test('section 9: a body needs Content-Type', () => {
    expect(reasonOf(head('MSRP tid00011 SEND', [TO, FROM, 'Message-ID: m1234'], 'x'))).toBe('body without Content-Type header');
  });

  test('malformed values and duplicates are 400s', () => {
    expect(reasonOf(head('MSRP tid00012 SEND', [TO, FROM, 'Message-ID: m1234', 'Byte-Range: 0-1/1']))).toBe('malformed Byte-Range header');
    expect(reasonOf(head('MSRP tid00013 SEND', [TO, FROM, 'Message-ID: 12']))).toBe('malformed Message-ID header');
    expect(reasonOf(head('MSRP tid00014 SEND', ['To-Path: sip:bob@example.com', FROM, 'Message-ID: m1234']))).toBe('malformed To-Path header');
    expect(reasonOf(head('MSRP tid00015 SEND', [TO, FROM, 'Message-ID: m1234', 'Message-ID: m5678']))).toBe('duplicate Message-ID header');
    expect(reasonOf(head('MSRP tid00016 SEND', [TO, FROM, 'Message-ID: m1234', 'Success-Report: partial']))).toBe('malformed Success-Report header');
  });

  test('header names compare case-insensitively', () => {
    expect(reasonOf(head('MSRP tid00017 SEND', ['to-path: msrp://b.example.com/s2;tcp', 'FROM-PATH: msrp://a.example.com/s1;tcp', 'message-id: m1234']))).toBeUndefined();
  });
});

describe('MsrpHeadCache: decoded values reused between heads of one stream', () => {
  test('gives the same verdicts and fields as checking without a cache, values repeated or not', () => {
    const cache = new MsrpHeadCache();
    const heads = [
      head('MSRP tid00020 SEND', [TO, FROM, 'Message-ID: m1234', 'Byte-Range: 1-2/2', 'Content-Type: text/plain'], 'hi'),
      head('MSRP tid00021 SEND', [TO, FROM, 'Message-ID: m1235', 'Byte-Range: 1-2/2', 'Content-Type: text/plain'], 'ho'),
      head('MSRP tid00022 SEND', ['To-Path: sip:bob@example.com', FROM, 'Message-ID: m1236']),
      head('MSRP tid00023 SEND', [TO, FROM, 'Message-ID: m1237', 'Byte-Range: 0-1/1']),
      head('MSRP tid00024 SEND', [TO, 'From-Path: msrp://c.example.com/s3;tcp', 'Message-ID: m1238', 'Content-Type: text/x;;'], 'x'),
      head('MSRP tid00025 SEND', [TO, FROM, 'Message-ID: m1239', 'Byte-Range: 1-2/2', 'Content-Type: text/plain'], 'hi'),
    ];
    for (const h of heads) expect(checkHead(h, { cache })).toEqual(checkHead(h));
  });
});
