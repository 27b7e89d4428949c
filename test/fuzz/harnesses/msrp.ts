// MSRP framing (src/msrp/wire parser + head check): garbage never throws and resyncs the same
// way however the stream is cut; valid frames from the shared generators (test/unit/msrp/wire
// arbitraries) parse back to their bytes under any split.
import { deepStrictEqual, strictEqual } from 'node:assert';
import fc from 'fast-check';
import { checkHead } from '../../../src/msrp/wire/check';
import { parseFrames } from '../../../src/msrp/wire/frames';
import { encodeRequest, encodeResponse } from '../../../src/msrp/wire/serializer';
import type { MsrpFrame, MsrpWireError } from '../../../src/msrp/wire/types';
import { streamArb, type GenFrame } from '../../unit/msrp/wire/arbitraries';
import { cutsArb, garbageArb, seedFiles, splitAt } from '../mutate';
import type { Harness } from '../runner';

const SEEDS = seedFiles('test/fixtures/msrp', /\.msrp$/);
const TOKENS = [
  'MSRP ', 'MSRP a786hjs2 SEND\r\n', 'MSRP a786hjs2 200 OK\r\n', ' SEND', ' REPORT', ' 200', '\r\n', '\r\n\r\n', '-------a786hjs2$\r\n',
  '-------', '$', '+', '#', 'To-Path: msrp://a.example.com:7777/iau39soe2843z;tcp\r\n', 'From-Path: ', 'Message-ID: ',
  'Byte-Range: 1-*/*\r\n', 'Byte-Range: 1-18446744073709551616/5\r\n', 'Content-Type: text/plain\r\n', 'Status: 000 200\r\n',
  'Success-Report: yes\r\n', 'msrps://', '[::1]', ':', ';tcp', '\x00', '\xff', ' ', '\t',
];

const encode = (f: GenFrame): Buffer => (f.kind === 'request' ? encodeRequest(f.spec, f.body, f.flag) : encodeResponse(f.spec));
const errKey = (e: MsrpWireError): unknown => ({ ...e });
const frameKey = (f: MsrpFrame): unknown => [f.head.raw.toString('base64'), f.body.toString('base64'), f.flag];

function parseAll(chunks: readonly Buffer[]): { frames: unknown[]; errors: unknown[] } {
  const { frames, errors } = parseFrames(chunks, { maxHeaderBytes: 4096, maxBodyBytes: 64 * 1024 });
  for (const f of frames) checkHead(f.head); // the head checker takes whatever the framer passed
  return { frames: frames.map(frameKey), errors: errors.map(errKey) };
}

export const msrpHarness: Harness = {
  parser: 'msrp',
  properties: [
    {
      name: 'garbage-any-split',
      arbitrary: fc.tuple(fc.array(garbageArb(SEEDS, TOKENS), { minLength: 1, maxLength: 3 }), cutsArb),
      check: ([parts, cuts]: [Buffer[], number[]]) => {
        const stream = Buffer.concat(parts);
        deepStrictEqual(parseAll(splitAt(stream, cuts)), parseAll([stream]));
      },
      quickRuns: 300,
    },
    {
      name: 'round-trip-any-split',
      arbitrary: fc.tuple(streamArb, cutsArb),
      check: ([gens, cuts]: [GenFrame[], number[]]) => {
        const stream = Buffer.concat(gens.map(encode));
        const { frames, errors } = parseFrames(splitAt(stream, cuts));
        deepStrictEqual(errors, []);
        strictEqual(frames.length, gens.length);
        // raw head + body + end-line is the input again: nothing lost or rewritten
        const crlf = (f: MsrpFrame): Buffer => Buffer.from(f.head.hasBody ? '\r\n' : '');
        const again = Buffer.concat(frames.flatMap((f) => [f.head.raw, crlf(f), f.body, crlf(f), Buffer.from(`-------${f.head.transactionId}${f.flag}\r\n`)]));
        deepStrictEqual(again.toString('base64'), stream.toString('base64'));
        for (const f of frames) {
          const c = checkHead(f.head);
          if (!c.ok) throw new Error(`generated frame refused: ${c.reason}`);
        }
      },
      quickRuns: 100,
    },
  ],
};
