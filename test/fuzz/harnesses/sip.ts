// SIP through our wrapper (src/sip/stack/parse.ts): the datagram parse, the TCP stream framer
// and the strict grammar of src/sip/message. Garbage never throws; a message the stack accepts
// formats and re-parses to the same message; a stream cut anywhere gives the same outcomes.
import { deepStrictEqual } from 'node:assert';
import fc from 'fast-check';
import { formatSipMessage, parseSipDatagram, sipStreamParser, type SipParseOutcome } from '../../../src/sip/stack/parse';
import { validateSipMessage } from '../../../src/sip/message/validate';
import { cutsArb, garbageArb, seedFiles, splitAt } from '../mutate';
import type { Harness } from '../runner';

const SEEDS = [
  ...seedFiles('test/fixtures/sip/rfc4475', /\.dat$/),
  ...seedFiles('test/fixtures/sip/malformed', /\.sip$/),
  ...seedFiles('test/fixtures/sip/sip-package-extras', /\.dat$/),
];
export const SIP_TOKENS = [
  'INVITE ', 'OPTIONS ', 'ACK ', 'SIP/2.0', 'SIP/2.0 200 OK', ' sip:', 'sips:', 'tel:', '\r\n', '\r\n\r\n', '\r\n ', '\n', '\r',
  'Via: SIP/2.0/UDP ', 'Via: SIP/2.0/TCP h;branch=z9hG4bK1', ';branch=z9hG4bK', ';rport', ';received=', 'v: ',
  'Content-Length: ', 'l: ', 'Content-Length: 4294967296', 'Content-Length: -1', '0', '99999999999',
  'CSeq: ', 'CSeq: 1 INVITE', 'Call-ID: ', 'i: ', 'From: ', 'To: ', 'f: ', 't: ', ';tag=', 'Max-Forwards: 70',
  'Contact: *', 'Contact: <sip:a@[::1]:5060;transport=tcp>', 'Content-Type: multipart/mixed;boundary=x',
  '<', '>', '"', '\\', ':', ';', ',', '=', '@', '%', '%00', '%zz', '\x00', '\xff', '\xc3\xa9', ' ', '\t', '[::1]', '[::ffff:1.2.3.4]',
];

/** An outcome with the message reduced to what must survive a re-cut of the stream. */
function comparable(o: SipParseOutcome): unknown {
  return o.kind === 'ok' ? { kind: 'ok', wire: formatSipMessage(o.msg).toString('base64') } : o;
}

function streamOutcomes(chunks: readonly Buffer[]): unknown[] {
  const out: unknown[] = [];
  const feed = sipStreamParser({
    onMessage: (o) => out.push(comparable(o)),
    onClose: (reason, kind) => out.push({ closed: reason, kind }),
  });
  for (const c of chunks) feed(c);
  return out;
}

// Well-formed requests with varied but valid values: the stack must accept each one, and what
// it would send for it must parse back to the same message.
const token = fc.stringMatching(/^[A-Za-z0-9.!%*_+`'~-]{1,12}$/);
const host = fc.constantFrom('example.com', 'a.b-c.example', '192.0.2.7', '[2001:db8::7]', 'localhost');
const user = fc.stringMatching(/^[A-Za-z0-9._~-]{1,10}$/);
const uri = fc.tuple(fc.constantFrom('sip', 'sips'), user, host, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), fc.option(fc.constantFrom(';transport=tcp', ';lr', ';maddr=192.0.2.1'), { nil: undefined }))
  .map(([s, u, h, p, param]) => `${s}:${u}@${h}${p === undefined ? '' : `:${p}`}${param ?? ''}`);
const display = fc.option(fc.oneof(token, fc.stringMatching(/^[ -!#-[\]-~]{0,12}$/).map((d) => `"${d}"`), fc.constant('"Zo\u00e9 \\"Z\\""')), { nil: undefined });
export const validRequestArb = fc
  .record({
    method: fc.constantFrom('OPTIONS', 'MESSAGE', 'INVITE', 'REGISTER', 'BYE', 'SUBSCRIBE', 'INFO', 'FOO'),
    ruri: uri,
    from: fc.tuple(display, uri, token),
    to: fc.tuple(display, uri, fc.option(token, { nil: undefined })),
    callId: fc.tuple(token, fc.option(host, { nil: undefined })).map(([a, h]) => (h ? `${a}@${h}` : a)),
    cseq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    branch: token,
    transport: fc.constantFrom('UDP', 'TCP', 'TLS'),
    maxForwards: fc.integer({ min: 0, max: 255 }),
    extra: fc.uniqueArray(fc.tuple(fc.constantFrom('Subject', 'X-Note', 'User-Agent', 'Accept', 'Supported', 'Expires', 'Contact'), token, user), { maxLength: 4, selector: (t) => t[0] }),
    body: fc.option(fc.uint8Array({ maxLength: 120 }), { nil: undefined }),
  })
  .map((r) => {
    const na = (d: string | undefined, u: string, tag: string | undefined) => `${d === undefined ? '' : `${d} `}<${u}>${tag === undefined ? '' : `;tag=${tag}`}`;
    const lines = [
      `${r.method} ${r.ruri} SIP/2.0`,
      `Via: SIP/2.0/${r.transport} 192.0.2.1:5070;branch=z9hG4bK${r.branch};rport`,
      `Max-Forwards: ${r.maxForwards}`,
      `From: ${na(r.from[0], r.from[1], r.from[2])}`,
      `To: ${na(r.to[0], r.to[1], r.to[2])}`,
      `Call-ID: ${r.callId}`,
      `CSeq: ${r.cseq} ${r.method}`,
      ...r.extra.map(([n, v, u]) => (n === 'Expires' ? `${n}: ${v.length}` : n === 'Contact' ? `${n}: <sip:${u}@192.0.2.1>` : n === 'Accept' ? `${n}: text/plain` : `${n}: ${v}`)),
      ...(r.body ? ['Content-Type: application/octet-stream'] : []),
      `Content-Length: ${r.body?.length ?? 0}`,
    ];
    return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'utf8'), Buffer.from(r.body ?? [])]);
  });

export const sipHarness: Harness = {
  parser: 'sip',
  properties: [
    {
      name: 'garbage-datagram',
      bytes: true,
      arbitrary: garbageArb(SEEDS, SIP_TOKENS),
      check: (data: Buffer) => {
        const o = parseSipDatagram(data);
        if (o.kind !== 'ok') return;
        // round trip: what we would send for it parses back to the same message
        const again = parseSipDatagram(formatSipMessage(o.msg));
        if (again.kind !== 'ok') throw new Error(`formatted message no longer parses: ${JSON.stringify(again)}`);
        deepStrictEqual(formatSipMessage(again.msg), formatSipMessage(o.msg));
      },
      quickRuns: 300,
    },
    {
      name: 'garbage-stream-any-split',
      // several messages back to back, cut anywhere: the same outcomes as one read
      arbitrary: fc.tuple(fc.array(garbageArb(SEEDS, SIP_TOKENS), { minLength: 1, maxLength: 3 }), cutsArb),
      check: ([parts, cuts]: [Buffer[], number[]]) => {
        const stream = Buffer.concat(parts);
        deepStrictEqual(streamOutcomes(splitAt(stream, cuts)), streamOutcomes([stream]));
      },
      quickRuns: 150,
    },
    {
      name: 'round-trip',
      arbitrary: validRequestArb,
      check: (data: Buffer) => {
        const o = parseSipDatagram(data);
        if (o.kind !== 'ok') throw new Error(`valid request refused: ${JSON.stringify(o)}`);
        const again = parseSipDatagram(formatSipMessage(o.msg));
        if (again.kind !== 'ok') throw new Error(`formatted message no longer parses: ${JSON.stringify(again)}`);
        deepStrictEqual(again.msg, o.msg);
      },
      quickRuns: 200,
    },
    {
      name: 'grammar-head',
      // src/sip/message grammar straight: any head text and any body length
      arbitrary: fc.tuple(garbageArb(SEEDS, SIP_TOKENS), fc.nat({ max: 70000 }), fc.constantFrom('UDP' as const, 'TCP' as const)),
      check: ([data, bodyLength, transport]: [Buffer, number, 'UDP' | 'TCP']) => {
        const r = validateSipMessage(data.toString('latin1'), bodyLength, { transport, maxHeadLength: 16384 });
        if (!r.ok && ![400, 416, 505, 513].includes(r.status)) throw new Error(`status ${r.status}`);
      },
      quickRuns: 300,
    },
  ],
};
