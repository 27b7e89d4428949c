// Multipart bodies (src/sip/message/multipart.ts): any Content-Type and body throw only
// MultipartError; buildMultipart's output parses back to the parts that were built.
import { deepStrictEqual, strictEqual } from 'node:assert';
import fc from 'fast-check';
import { buildMultipart, MultipartError, parseContentType, parseMultipart } from '../../../src/sip/message/multipart';
import { garbageArb } from '../mutate';
import { onlyTyped, type Harness } from '../runner';

const BOUNDARY = 'imedge-b0und4ry';
const SEED_PARTS = [
  { contentType: 'application/sdp', body: 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=message 9 TCP/MSRP *\r\n' },
  { contentType: 'application/resource-lists+xml', headers: { 'Content-Disposition': 'recipient-list' }, body: '<?xml version="1.0"?><resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list><entry uri="sip:a@b"/></list></resource-lists>' },
  { contentType: 'text/plain;charset=utf-8', body: 'h\u00e9llo\r\n--not-a-boundary\r\n' },
];
const SEEDS = [buildMultipart(SEED_PARTS, BOUNDARY).body, buildMultipart([SEED_PARTS[2]!], BOUNDARY).body];
const TOKENS = [`--${BOUNDARY}\r\n`, `\r\n--${BOUNDARY}--`, `--${BOUNDARY}`, '\r\n\r\n', '\r\n', 'Content-Type: ', 'Content-Type: multipart/mixed;boundary=x\r\n', ': ', '\x00', ' ', '--'];
const CONTENT_TYPES = fc.oneof(
  fc.constant(`multipart/mixed;boundary=${BOUNDARY}`),
  fc.constant(`multipart/mixed; boundary="${BOUNDARY}"`),
  fc.constantFrom('multipart/mixed', 'multipart/mixed;boundary=', 'multipart/mixed;boundary="', 'text/plain', 'multipart/mixed;boundary=a;boundary=b', `multipart/related;type="application/sdp";boundary=${BOUNDARY}`),
  garbageArb([Buffer.from(`multipart/mixed;boundary="${BOUNDARY}";x="\\"y"`)], [';', '=', '"', '\\', ' ', '\t', '/', '\r\n', 'boundary='], 80).map((b) => b.toString('latin1')),
);

// part content types and bodies that keep to what buildMultipart accepts
const partArb = fc.record({
  contentType: fc.constantFrom('application/sdp', 'text/plain', 'message/cpim', 'application/resource-lists+xml', 'text/plain;charset="utf-8"'),
  body: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
  headers: fc.option(fc.dictionary(fc.constantFrom('Content-Disposition', 'Content-ID', 'X-Note'), fc.stringMatching(/^[ -~]{0,30}$/)), { nil: undefined }),
});

export const multipartHarness: Harness = {
  parser: 'multipart',
  properties: [
    {
      name: 'garbage-body',
      arbitrary: fc.tuple(CONTENT_TYPES, garbageArb(SEEDS, TOKENS)),
      check: ([ct, body]: [string, Buffer]) => {
        onlyTyped(() => parseMultipart(ct, body, { maxBytes: 64 * 1024, maxParts: 8 }), MultipartError);
        const r = parseContentType(ct);
        if (typeof r !== 'string' && typeof r.mediaType !== 'string') throw new Error('content type without media type');
      },
      quickRuns: 300,
    },
    {
      name: 'round-trip',
      arbitrary: fc.array(partArb, { minLength: 1, maxLength: 5 }),
      check: (parts: { contentType: string; body: Buffer; headers?: Record<string, string> }[]) => {
        let built;
        try {
          built = buildMultipart(parts, BOUNDARY);
        } catch (err) {
          // a random body may hold the boundary: refusing it is the builder's job
          if (err instanceof MultipartError && parts.some((p) => p.body.includes(BOUNDARY))) return;
          throw err;
        }
        const back = parseMultipart(built.contentType, built.body);
        strictEqual(back.length, parts.length);
        back.forEach((p, i) => {
          deepStrictEqual(p.body.toString('base64'), parts[i]!.body.toString('base64'));
          strictEqual(p.contentType, parts[i]!.contentType);
        });
      },
      quickRuns: 150,
    },
  ],
};
