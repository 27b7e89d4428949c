import fc from 'fast-check';
import { checkHead } from '../../../../src/msrp/wire/check';
import { parseFrames } from '../../../../src/msrp/wire/frames';
import { parseContentType } from '../../../../src/msrp/wire/headers';
import { encodeRequest, encodeResponse } from '../../../../src/msrp/wire/serializer';
import type { MsrpFrame } from '../../../../src/msrp/wire/types';
import { parsePath } from '../../../../src/msrp/wire/uri';
import { streamArb, type GenFrame } from './arbitraries';
import { bytewise, runParser, splitAt, type ParserEvent } from './helpers';

function encode(f: GenFrame): Buffer {
  return f.kind === 'request' ? encodeRequest(f.spec, f.body, f.flag) : encodeResponse(f.spec);
}

/** The parsed frame says exactly what the generator asked for. */
function expectSame(parsed: MsrpFrame, gen: GenFrame): void {
  const { head } = parsed;
  expect(head.transactionId).toBe(gen.spec.transactionId);
  const check = checkHead(head);
  if (!check.ok) throw new Error(check.reason);
  const fields = check.fields;
  expect(fields.toPath).toEqual(parsePath(gen.spec.toPath.join(' ')));
  expect(fields.fromPath).toEqual(parsePath(gen.spec.fromPath.join(' ')));
  const extras = head.headers.filter((h) => h.name.startsWith('X-'));
  expect(extras).toEqual(gen.spec.extraHeaders ?? []);
  if (gen.kind === 'response') {
    expect(head).toMatchObject({ kind: 'response', status: gen.spec.status, comment: gen.spec.comment, hasBody: false });
    expect(parsed.flag).toBe('$');
    expect(parsed.body.length).toBe(0);
    return;
  }
  const s = gen.spec;
  expect(head).toMatchObject({ kind: 'request', method: s.method, hasBody: s.contentType !== undefined });
  expect(fields.messageId).toBe(s.messageId);
  expect(fields.byteRange).toEqual(s.byteRange);
  expect(fields.successReport).toBe(s.successReport);
  expect(fields.failureReport).toBe(s.failureReport);
  expect(fields.status).toEqual(s.status);
  expect(fields.contentType).toEqual(
    s.contentType === undefined ? undefined : parseContentType(s.contentType as string),
  );
  expect(parsed.flag).toBe(gen.flag);
  expect(parsed.body.equals(gen.body ?? Buffer.alloc(0))).toBe(true);
}

/** The events as plain data, consecutive body pieces merged (their cut points depend on the reads). */
function normalised(events: readonly ParserEvent[]): unknown[] {
  const out: unknown[] = [];
  for (const e of events) {
    if (e.type === 'body') {
      const prev = out[out.length - 1] as { type: string; bytes: Buffer } | undefined;
      if (prev !== undefined && prev.type === 'body') prev.bytes = Buffer.concat([prev.bytes, e.chunk]);
      else out.push({ type: 'body', bytes: Buffer.from(e.chunk) });
    } else if (e.type === 'head') out.push({ type: 'head', head: { ...e.head, raw: Buffer.from(e.head.raw) } });
    else out.push(e);
  }
  return out;
}

/** Mutations a peer's bytes may carry: flipped, inserted and deleted bytes, stray CRLFs and dashes, UTF-8. */
const mutationArb = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('flip', 'insert', 'delete', 'crlf', 'dashes', 'utf8', 'start-line'),
  byte: fc.integer({ min: 0, max: 255 }),
});

function mutate(stream: Buffer, muts: readonly { at: number; op: string; byte: number }[]): Buffer {
  let buf = stream;
  for (const m of muts) {
    const at = m.at % (buf.length + 1);
    const before = buf.subarray(0, at);
    const after = buf.subarray(at);
    const insert = (b: Buffer): Buffer => Buffer.concat([before, b, after]);
    if (m.op === 'flip') buf = Buffer.concat([before, Buffer.from([m.byte]), after.subarray(1)]);
    else if (m.op === 'insert') buf = insert(Buffer.from([m.byte]));
    else if (m.op === 'delete') buf = Buffer.concat([before, after.subarray(1)]);
    else if (m.op === 'crlf') buf = insert(Buffer.from('\r\n'));
    else if (m.op === 'dashes') buf = insert(Buffer.from('\r\n-------'));
    else if (m.op === 'utf8') buf = insert(Buffer.from('\u00e9\u2028', 'utf8'));
    else buf = insert(Buffer.from('\r\nMSRP abcd1234 SEND\r\n'));
  }
  return buf;
}

describe('RFC 4975 section 7.1 framing, property based', () => {
  test('section 7.1: a head read whole from one read and the same head read line by line give the same events, for valid and mutated streams', () => {
    fc.assert(
      fc.property(streamArb, fc.array(mutationArb, { maxLength: 4 }), fc.integer({ min: 64, max: 4096 }), (gens, muts, maxHeaderBytes) => {
        const buf = mutate(Buffer.concat(gens.map(encode)), muts);
        const whole = runParser([buf], { maxHeaderBytes }).events;
        const drip = runParser(bytewise(buf), { maxHeaderBytes }).events;
        expect(normalised(whole)).toEqual(normalised(drip));
      }),
      { numRuns: 400 },
    );
  });


  test('any split of a stream of frames parses to exactly those frames (serialize then parse is the identity)', () => {
    fc.assert(
      fc.property(streamArb, fc.array(fc.nat(), { maxLength: 20 }), (gens, cuts) => {
        const stream = Buffer.concat(gens.map(encode));
        const chunks = splitAt(stream, cuts.map((c) => c % (stream.length + 1)));
        const { frames, errors } = parseFrames(chunks);
        expect(errors).toEqual([]);
        expect(frames).toHaveLength(gens.length);
        frames.forEach((f, i) => expectSame(f, gens[i]));
      }),
      { numRuns: 200 },
    );
  });

  test('byte-at-a-time feeding gives the same frames as one read', () => {
    fc.assert(
      fc.property(streamArb, (gens) => {
        const stream = Buffer.concat(gens.map(encode));
        const whole = parseFrames(stream);
        const drip = parseFrames(bytewise(stream));
        expect(drip.errors).toEqual([]);
        expect(drip.frames.map((f) => [f.head.raw, f.body, f.flag])).toEqual(
          whole.frames.map((f) => [f.head.raw, f.body, f.flag]),
        );
      }),
      { numRuns: 50 },
    );
  });

  test('raw head + body re-framed gives back the input bytes (what a relay forwards)', () => {
    fc.assert(
      fc.property(streamArb, (gens) => {
        const stream = Buffer.concat(gens.map(encode));
        const { frames } = parseFrames(stream);
        const rebuilt = Buffer.concat(
          frames.flatMap((f) => [
            f.head.raw,
            f.head.hasBody ? Buffer.from('\r\n') : Buffer.alloc(0),
            f.body,
            Buffer.from(`${f.head.hasBody ? '\r\n' : ''}-------${f.head.transactionId}${f.flag}\r\n`),
          ]),
        );
        expect(rebuilt.equals(stream)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  test('garbage (one line) before a stream costs one error and no frame', () => {
    const garbage = fc
      .uint8Array({ minLength: 1, maxLength: 100 })
      .map((a) => Buffer.from(a.map((b) => (b === 0x0a || b === 0x0d ? 0x20 : b))))
      .filter((b) => b[0] !== 0x4d && b[0] !== 0x20);
    fc.assert(
      fc.property(garbage, streamArb, fc.array(fc.nat(), { maxLength: 10 }), (junk, gens, cuts) => {
        const stream = Buffer.concat([junk, Buffer.from('\r\n'), ...gens.map(encode)]);
        const { frames, errors } = parseFrames(splitAt(stream, cuts.map((c) => c % (stream.length + 1))));
        expect(errors.map((e) => e.kind)).toEqual(['bad-start-line']);
        expect(frames).toHaveLength(gens.length);
      }),
      { numRuns: 100 },
    );
  });

  test('random bytes never throw and never hold more than the cap', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat(), { maxLength: 20 }), (bytes, cuts) => {
        const buf = Buffer.from(bytes);
        const { parser } = runParser(splitAt(buf, cuts.map((c) => c % (buf.length + 1))), { maxHeaderBytes: 512 }, false);
        expect(parser.bufferedBytes).toBeLessThanOrEqual(512);
        parser.finish();
      }),
      { numRuns: 300 },
    );
  });

  test('random mutations of valid streams never throw; every error names a recovery', () => {
    const mutation = fc.record({
      at: fc.nat(),
      op: fc.constantFrom('flip', 'insert', 'delete', 'crlf', 'dashes'),
      byte: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(streamArb, fc.array(mutation, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 10 }), (gens, muts, cuts) => {
        let buf = Buffer.concat(gens.map(encode));
        for (const m of muts) {
          const at = m.at % (buf.length + 1);
          const before = buf.subarray(0, at);
          const after = buf.subarray(at);
          if (m.op === 'flip') buf = Buffer.concat([before, Buffer.from([m.byte]), after.subarray(1)]);
          else if (m.op === 'insert') buf = Buffer.concat([before, Buffer.from([m.byte]), after]);
          else if (m.op === 'delete') buf = Buffer.concat([before, after.subarray(1)]);
          else if (m.op === 'crlf') buf = Buffer.concat([before, Buffer.from('\r\n'), after]);
          else buf = Buffer.concat([before, Buffer.from('\r\n-------'), after]);
        }
        const { events, parser } = runParser(splitAt(buf, cuts.map((c) => c % (buf.length + 1))));
        for (const e of events) if (e.type === 'error') expect(['resync', 'close']).toContain(e.error.recovery);
        expect(parser.phase).toBe('closed');
      }),
      { numRuns: 300 },
    );
  });
});
