/**
 * Issue 16, fuzz-style: the relay driven by random next-hop behaviour (status codes including
 * odd ones, comments with U+2028, controls and non-UTF-8 bytes, disconnects mid-frame,
 * garbage, silence until the transaction timeout) and random peer Byte-Range values. The
 * process and the relay stay up, every failure REPORT the sender gets parses back, no handler
 * ever throws, and a fresh session works afterwards.
 */
import fc from 'fast-check';
import { MsrpRelay } from '../../../src/msrp/relay';
import { parseByteRange, parseFrames, parseStatus } from '../../../src/msrp/wire';
import { freshSessionWorks, headerOf, rawPair, until } from './helpers';

const TIMEOUT_MS = 60;

type Answer =
  | { readonly kind: 'status'; readonly code: number; readonly comment: Buffer | undefined }
  | { readonly kind: 'cut'; readonly code: number; readonly keep: number }
  | { readonly kind: 'drop' }
  | { readonly kind: 'garbage'; readonly bytes: Buffer }
  | { readonly kind: 'silence' };

/** Comment bytes a hostile next hop may write: U+2028, controls, non-UTF-8, blanks, CRLF. */
const commentBytes = fc
  .array(
    fc.oneof(
      fc.constant(Buffer.from('\u2028', 'utf8')),
      fc.constant(Buffer.from('\u2029', 'utf8')),
      fc.constant(Buffer.from([0xff, 0xfe])),
      fc.constant(Buffer.from([0xc3])),
      fc.constant(Buffer.from(' ')),
      fc.constant(Buffer.from('\t')),
      fc.constant(Buffer.from('\r\n')),
      fc.constant(Buffer.from('Not Found')),
      fc.integer({ min: 0, max: 255 }).map((b) => Buffer.from([b])),
    ),
    { maxLength: 12 },
  )
  .map((parts) => Buffer.concat(parts));

const answer: fc.Arbitrary<Answer> = fc.oneof(
  fc.record({
    kind: fc.constant('status' as const),
    code: fc.oneof(fc.constantFrom(200, 400, 403, 408, 413, 415, 481, 501, 506), fc.integer({ min: 0, max: 999 })),
    comment: fc.option(commentBytes, { nil: undefined }),
  }),
  fc.record({ kind: fc.constant('cut' as const), code: fc.integer({ min: 0, max: 999 }), keep: fc.nat() }),
  fc.constant({ kind: 'drop' as const }),
  fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => Buffer.from(b)) }),
  fc.constant({ kind: 'silence' as const }),
);

const scenario = fc.record({
  byteRange: fc.option(fc.constantFrom('1-5/5', '1-*/0', '1-*/*', '3-*/4', '999999999999999-*/*', '1-0/0', '2-6/6'), { nil: undefined }),
  failureReport: fc.option(fc.constantFrom('yes', 'no', 'partial'), { nil: undefined }),
  body: fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\u00e9', '\u2028', '-'), minLength: 1, maxLength: 40 }),
  answer,
  /** The sender breaks off its own SEND after this many bytes and disconnects. */
  senderCut: fc.option(fc.nat(), { nil: undefined, freq: 5 }),
});

let seq = 0;

describe('issue 16: the relay survives whatever the next hop does (RFC 4975 7.1.2, RFC 4976 7.3)', () => {
  test('RFC 4976 7.3: random next-hop answers, disconnects and silence never take the relay down; failure REPORTs parse', async () => {
    // the fuzzed Byte-Ranges must reach the next hop: the relay's own message bound is lifted (relay-bounds.test.ts)
    const relay = new MsrpRelay({ transactionTimeoutMs: TIMEOUT_MS, maxMessageSize: Number.MAX_SAFE_INTEGER });
    const { port } = await relay.listen('127.0.0.1', 0);
    try {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const p = await rawPair(relay, port);
          try {
            const tid = `fz${(++seq).toString().padStart(6, '0')}`;
            const mid = `m${tid}`;
            const body = Buffer.from(s.body, 'utf8');
            const send = Buffer.concat([
              Buffer.from(
                `MSRP ${tid} SEND\r\nTo-Path: ${p.pair.aLocal}\r\nFrom-Path: ${p.aUri}\r\nMessage-ID: ${mid}\r\n` +
                  (s.byteRange === undefined ? '' : `Byte-Range: ${s.byteRange}\r\n`) +
                  (s.failureReport === undefined ? '' : `Failure-Report: ${s.failureReport}\r\n`) +
                  'Content-Type: text/plain\r\n\r\n',
              ),
              body,
              Buffer.from(`\r\n-------${tid}$\r\n`),
            ]);
            if (s.senderCut !== undefined) {
              const keep = s.senderCut % send.length;
              const before = relay.counters.bytesIn;
              p.a.write(send.subarray(0, keep));
              await until(() => relay.counters.bytesIn >= before + keep, 'partial SEND read');
              p.a.end();
              return;
            }
            p.a.write(send);
            await until(() => p.b.requests('SEND').some((f) => f.head.transactionId === tid), 'SEND at B');
            const fwd = p.b.requests('SEND').find((f) => f.head.transactionId === tid)!;
            const relayUri = (headerOf(fwd, 'From-Path') as string).split(' ')[0];
            const response = (code: number, comment: Buffer | undefined): Buffer =>
              Buffer.concat([
                Buffer.from(`MSRP ${tid} ${String(code).padStart(3, '0')}`),
                comment === undefined ? Buffer.alloc(0) : Buffer.concat([Buffer.from(' '), comment]),
                Buffer.from(`\r\nTo-Path: ${relayUri}\r\nFrom-Path: ${p.bUri}\r\n-------${tid}$\r\n`),
              ]);
            const a = s.answer;
            let answeredOk = false;
            switch (a.kind) {
              case 'status': {
                const bytes = response(a.code, a.comment);
                // what the relay will make of it: a 200 it can match ends the transaction quietly
                const { frames } = parseFrames(bytes);
                answeredOk = frames.some((f) => f.head.kind === 'response' && f.head.transactionId === tid && f.head.status === 200);
                p.b.write(bytes);
                break;
              }
              case 'cut': {
                const bytes = response(a.code, undefined);
                p.b.write(bytes.subarray(0, a.keep % (bytes.length - 1)));
                p.b.end();
                break;
              }
              case 'drop':
                p.b.end();
                break;
              case 'garbage':
                p.b.write(a.bytes);
                break;
              case 'silence':
                break;
            }
            if (s.failureReport !== 'no' && !answeredOk) {
              // answered with an error, broke off, vanished or stayed silent: a failure REPORT
              await until(() => p.a.requests('REPORT').some((f) => headerOf(f, 'Message-ID') === mid), 'failure REPORT');
              const r = p.a.requests('REPORT').find((f) => headerOf(f, 'Message-ID') === mid)!;
              expect(parseStatus(headerOf(r, 'Status') ?? '')).toBeDefined();
              expect(parseByteRange(headerOf(r, 'Byte-Range') ?? '')).toBeDefined();
            }
            if (s.failureReport !== 'no' && s.failureReport !== 'partial') {
              await until(() => p.a.responses(tid).length === 1, 'hop-by-hop answer');
              expect(p.a.responses(tid)[0].head).toMatchObject({ status: 200 });
            }
          } finally {
            p.a.end();
            p.b.end();
            relay.releasePair(p.pair.id);
          }
        }),
        { numRuns: 60 },
      );
      expect(relay.counters.handlerErrors).toBe(0);
      expect(relay.counters.failureReportsSent).toBeGreaterThan(0);
      await freshSessionWorks(relay);
    } finally {
      await relay.close();
    }
  });
});
