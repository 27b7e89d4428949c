import fc from 'fast-check';
import { checkHead } from '../../../../src/msrp/wire/check';
import { parseFrames } from '../../../../src/msrp/wire/frames';
import { encodeRequest, encodeResponse } from '../../../../src/msrp/wire/serializer';
import { findPathValues, spliceHead, splicePieces } from '../../../../src/msrp/wire/splice';
import { parsePath } from '../../../../src/msrp/wire/uri';
import { streamArb, uriArb } from './arbitraries';
import { crlf, fixture } from './helpers';

describe('RFC 4976 relay forwarding by splicing the head', () => {
  test('only the To-Path and From-Path values change; every other byte stays', () => {
    const [f] = parseFrames(fixture('rfc4975-10.5-positive-report.msrp')).frames;
    const out = spliceHead(f.head.raw, {
      toPath: ['msrp://bob.example.com:8888/9di4eae923wzd;tcp'],
      fromPath: ['msrp://relay.example.com:2855/r1;tcp', 'msrp://alicepc.example.com:7777/iau39soe2843z;tcp'],
    });
    const before = f.head.raw.toString();
    const expected = before.replace(
      'From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp',
      'From-Path: msrp://relay.example.com:2855/r1;tcp msrp://alicepc.example.com:7777/iau39soe2843z;tcp',
    );
    expect(out?.toString()).toBe(expected);
  });

  test('header case and spacing of the original are kept', () => {
    const raw = crlf('MSRP tid00001 SEND\nto-path:   msrp://a.example.com/x;tcp\nFROM-PATH:msrp://b.example.com/y;tcp\nX-Odd:  keep  \n');
    const out = spliceHead(raw, { toPath: ['msrp://c.example.com/z;tcp'] });
    expect(out?.toString()).toBe(
      crlf('MSRP tid00001 SEND\nto-path:   msrp://c.example.com/z;tcp\nFROM-PATH:msrp://b.example.com/y;tcp\nX-Odd:  keep  \n').toString(),
    );
  });

  test('a head without the header to replace gives undefined', () => {
    expect(spliceHead(crlf('MSRP tid00002 SEND\nFrom-Path: msrp://b.example.com/y;tcp\n'), { toPath: ['msrp://c.example.com/z;tcp'] })).toBeUndefined();
  });

  test('property: a spliced frame parses with the new paths and the same other headers', () => {
    fc.assert(
      fc.property(streamArb, fc.array(uriArb, { minLength: 1, maxLength: 3 }), fc.array(uriArb, { minLength: 1, maxLength: 3 }), (gens, to, from) => {
        const stream = Buffer.concat(gens.map((g) => (g.kind === 'request' ? encodeRequest(g.spec, g.body, g.flag) : encodeResponse(g.spec))));
        for (const f of parseFrames(stream).frames) {
          const raw = spliceHead(f.head.raw, { toPath: to, fromPath: from });
          if (raw === undefined) throw new Error('paths not found');
          const rebuilt = Buffer.concat([raw, Buffer.from(f.head.hasBody ? '\r\n' : ''), f.body, Buffer.from(`${f.head.hasBody ? '\r\n' : ''}-------${f.head.transactionId}${f.flag}\r\n`)]);
          const [g] = parseFrames(rebuilt).frames;
          const c = checkHead(g.head);
          expect(c.ok && c.fields.toPath).toEqual(parsePath(to.join(' ')));
          expect(c.ok && c.fields.fromPath).toEqual(parsePath(from.join(' ')));
          expect(g.head.headers.slice(2)).toEqual(f.head.headers.slice(2));
          expect(g.body.equals(f.body)).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });

  test('findPathValues + splicePieces (the relay path) give the bytes of spliceHead', () => {
    const [f] = parseFrames(fixture('rfc4975-10.5-positive-report.msrp')).frames;
    const to = Buffer.from('msrp://bob.example.com:8888/9di4eae923wzd;tcp');
    const from = Buffer.from('msrp://relay.example.com:2855/r1;tcp');
    const spans = findPathValues(f.head.raw);
    if (spans.toPath === undefined || spans.fromPath === undefined) throw new Error('paths not found');
    const pieces = splicePieces(f.head.raw, [
      [spans.fromPath, from],
      [spans.toPath, to],
    ]);
    expect(Buffer.concat(pieces).equals(spliceHead(f.head.raw, { toPath: [to.toString()], fromPath: [from.toString()] }) as Buffer)).toBe(true);
  });
});
