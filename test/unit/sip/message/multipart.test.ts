// multipart/mixed SIP bodies (RFC 2046 5.1, RFC 5621): the conference-factory INVITE of
// OMA IM 7.1.1.6 carries an SDP offer and a resource list (RFC 5366 section 4).
import fc from 'fast-check';
import { buildMultipart, MultipartError, parseContentType, parseMultipart } from '../../../../src/sip/message/multipart';

const SDP = ['v=0', 'o=alice 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=message 7654 TCP/MSRP *', 'a=accept-types:text/plain', 'a=path:msrp://192.0.2.1:7654/abc;tcp', ''].join('\r\n');
const LIST = '<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list><entry uri="sip:bob@example.com"/></list></resource-lists>\n';

/** The body of RFC 5366 section 4's INVITE, shape for shape. */
function rfc5366Body(boundary = 'boundary1'): Buffer {
  return Buffer.from(
    [
      `--${boundary}`,
      'Content-Type: application/sdp',
      '',
      SDP.slice(0, -2),
      `--${boundary}`,
      'Content-Type: application/resource-lists+xml',
      'Content-Disposition: recipient-list',
      '',
      LIST.slice(0, -1),
      `--${boundary}--`,
      '',
    ].join('\r\n'),
    'utf8',
  );
}

function errorOf(fn: () => unknown): MultipartError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MultipartError) return err;
    throw new Error(`expected a MultipartError, got ${String(err)}`);
  }
  throw new Error('expected a MultipartError, nothing was thrown');
}

describe('RFC 5366 section 4: SDP offer plus URI list', () => {
  test('both parts with their types, headers and exact bytes', () => {
    const parts = parseMultipart('multipart/mixed;boundary="boundary1"', rfc5366Body());
    expect(parts).toHaveLength(2);
    expect(parts[0]!.mediaType).toBe('application/sdp');
    expect(parts[0]!.body.toString('utf8')).toBe(SDP.slice(0, -2));
    expect(parts[1]).toMatchObject({ contentType: 'application/resource-lists+xml', mediaType: 'application/resource-lists+xml' });
    expect(parts[1]!.headers['content-disposition']).toBe('recipient-list');
    expect(parts[1]!.body.toString('utf8')).toBe(LIST.slice(0, -1));
    expect(Buffer.isBuffer(parts[1]!.body)).toBe(true);
  });

  test('RFC 2046 5.1.1: a preamble and an epilogue are ignored', () => {
    const body = Buffer.concat([Buffer.from('This is a preamble.\r\n'), rfc5366Body(), Buffer.from('An epilogue.\r\n')]);
    expect(parseMultipart('multipart/mixed; boundary=boundary1', body).map((p) => p.mediaType)).toEqual(['application/sdp', 'application/resource-lists+xml']);
  });

  test('binary bodies stay byte-exact (every byte value, CRLFs inside)', () => {
    const bin = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
    const built = buildMultipart([{ contentType: 'application/octet-stream', body: bin }, { contentType: 'text/plain;charset=UTF-8', body: 'héllo €\r\n' }], 'b-1');
    const parts = parseMultipart(built.contentType, built.body);
    expect(parts[0]!.body.equals(bin)).toBe(true);
    expect(parts[1]!.body.toString('utf8')).toBe('héllo €\r\n');
    expect(parts[1]!.contentType).toBe('text/plain;charset=UTF-8');
  });
});

describe('errors name the part', () => {
  test('a part without Content-Type', () => {
    const body = Buffer.from('--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n--b\r\nContent-Disposition: recipient-list\r\n\r\n<x/>\r\n--b--\r\n');
    const e = errorOf(() => parseMultipart('multipart/mixed;boundary=b', body));
    expect(e).toMatchObject({ code: 'MULTIPART_PART', part: 2, message: 'part 2: no Content-Type' });
  });

  test('a part with a malformed Content-Type', () => {
    const body = Buffer.from('--b\r\nContent-Type: sdp\r\n\r\nv=0\r\n--b--\r\n');
    expect(errorOf(() => parseMultipart('multipart/mixed;boundary=b', body)).message).toBe('part 1: Content-Type: not a media type');
  });

  test('a part with no header at all', () => {
    const body = Buffer.from('--b\r\n\r\nv=0\r\n--b--\r\n');
    expect(errorOf(() => parseMultipart('multipart/mixed;boundary=b', body))).toMatchObject({ code: 'MULTIPART_SYNTAX', part: 1 });
  });

  test('a part header multipasta cannot decode (bad percent-encoding in filename*) is a MultipartError', () => {
    const body = Buffer.from("--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename*=utf-8''%E0%A4%A\r\n\r\nx\r\n--b--\r\n");
    expect(errorOf(() => parseMultipart('multipart/mixed;boundary=b', body))).toMatchObject({ code: 'MULTIPART_SYNTAX', part: 1 });
  });

  test('no closing delimiter', () => {
    const body = Buffer.from('--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n');
    expect(errorOf(() => parseMultipart('multipart/mixed;boundary=b', body)).code).toBe('MULTIPART_SYNTAX');
  });

  test('no delimiter at all, and an empty body', () => {
    expect(errorOf(() => parseMultipart('multipart/mixed;boundary=b', Buffer.from('v=0\r\n'))).code).toBe('MULTIPART_SYNTAX');
    expect(errorOf(() => parseMultipart('multipart/mixed;boundary=b', Buffer.alloc(0))).code).toBe('MULTIPART_SYNTAX');
  });

  test('zero parts', () => {
    expect(errorOf(() => parseMultipart('multipart/mixed;boundary=b', Buffer.from('--b--\r\n'))).reason).toBe('no body parts');
  });

  test('more parts than the limit, a body over the cap', () => {
    const built = buildMultipart([1, 2, 3].map((i) => ({ contentType: 'text/plain', body: `p${i}` })), 'b');
    expect(errorOf(() => parseMultipart(built.contentType, built.body, { maxBytes: 1024, maxParts: 2 })).code).toBe('MULTIPART_TOO_LARGE');
    expect(errorOf(() => parseMultipart(built.contentType, built.body, { maxBytes: 10, maxParts: 8 })).code).toBe('MULTIPART_TOO_LARGE');
  });

  test.each([
    ['application/sdp', 'Content-Type application/sdp is not multipart'],
    ['multipart/mixed', 'Content-Type has no boundary parameter'],
    ['multipart/mixed; boundary=""', 'boundary must be 1 to 70 characters'],
    [`multipart/mixed; boundary=${'x'.repeat(71)}`, 'boundary must be 1 to 70 characters'],
    ['multipart/mixed; boundary="a b "', 'boundary must not end with a space'],
    ['multipart/mixed; boundary="a\\"b"', 'boundary has a character outside RFC 2046 bchars'],
    ['multipart/mixed; boundary=a; boundary=b', 'Content-Type: parameter boundary repeated'],
    ['multipart', 'Content-Type: not a media type'],
  ])('message Content-Type %j', (ct, reason) => {
    expect(errorOf(() => parseMultipart(ct, rfc5366Body()))).toMatchObject({ code: 'MULTIPART_CONTENT_TYPE', reason });
  });
});

describe('Content-Type grammar (RFC 2045 5.1)', () => {
  test('parameters: case-insensitive names, quoted values with escapes', () => {
    const ct = parseContentType('Multipart/Mixed ; Boundary="a\\"b c" ;charset=utf-8');
    expect(typeof ct).toBe('object');
    if (typeof ct === 'string') return;
    expect(ct.mediaType).toBe('multipart/mixed');
    expect(ct.params.get('boundary')).toBe('a"b c');
    expect(ct.params.get('charset')).toBe('utf-8');
  });
});

describe('building', () => {
  test('OMA IM 7.1.1.6 steps 6-7: SDP and resource list with Content-Disposition, read back', () => {
    const built = buildMultipart([
      { contentType: 'application/sdp', body: SDP },
      { contentType: 'application/resource-lists+xml', headers: { 'Content-Disposition': 'recipient-list' }, body: LIST },
    ]);
    expect(built.contentType).toMatch(/^multipart\/mixed;boundary=imedge-[0-9a-f]{24}$/);
    const parts = parseMultipart(built.contentType, built.body);
    expect(parts.map((p) => [p.mediaType, p.body.toString('utf8')])).toEqual([
      ['application/sdp', SDP],
      ['application/resource-lists+xml', LIST],
    ]);
    expect(parts[1]!.headers['content-disposition']).toBe('recipient-list');
  });

  test('a boundary with characters outside token is quoted in the Content-Type', () => {
    const built = buildMultipart([{ contentType: 'text/plain', body: 'x' }], 'a b:c');
    expect(built.contentType).toBe('multipart/mixed;boundary="a b:c"');
    expect(parseMultipart(built.contentType, built.body)[0]!.body.toString()).toBe('x');
  });

  test('refuses a boundary found in a body, a header with a line break, a bad part Content-Type', () => {
    expect(errorOf(() => buildMultipart([{ contentType: 'text/plain', body: 'x --b y' }], 'b'))).toMatchObject({ part: 1, reason: 'body contains the boundary' });
    expect(errorOf(() => buildMultipart([{ contentType: 'text/plain', headers: { X: 'a\r\nInjected: 1' }, body: 'x' }], 'b')).part).toBe(1);
    expect(errorOf(() => buildMultipart([{ contentType: 'text/plain', body: '' }, { contentType: 'nope', body: 'x' }], 'b')).part).toBe(2);
  });
});

describe('properties', () => {
  const boundary = fc.stringMatching(/^[0-9A-Za-z'()+_,\-.\/:=?]{1,40}$/);
  const part = fc.record({
    contentType: fc.constantFrom('application/sdp', 'text/plain;charset=UTF-8', 'application/resource-lists+xml', 'message/cpim'),
    body: fc.uint8Array({ maxLength: 300 }),
  });

  test('build then parse gives the same parts, byte for byte', () => {
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 5 }), boundary, (parts, b) => {
        const dash = Buffer.from(`--${b}`);
        fc.pre(parts.every((p) => !Buffer.from(p.body).includes(dash)));
        const built = buildMultipart(parts, b);
        const back = parseMultipart(built.contentType, built.body);
        expect(back.map((p) => [p.contentType, Buffer.from(p.body).toString('hex')])).toEqual(parts.map((p) => [p.contentType, Buffer.from(p.body).toString('hex')]));
      }),
      { numRuns: 500 },
    );
  });

  test('garbage never throws anything but MultipartError', () => {
    const piece = fc.oneof(
      fc.constantFrom('--b', '--b--', '\r\n', '\r', '\n', 'Content-Type: ', 'text/plain', 'Content-Disposition: ', 'form-data', "filename*=utf-8''%E0%A4%A", ': ', ';', '"', ' '),
      fc.string({ maxLength: 6 }),
      fc.uint8Array({ maxLength: 6 }).map((a) => Buffer.from(a).toString('latin1')),
    );
    const ct = fc.oneof(fc.constant('multipart/mixed;boundary=b'), fc.string({ maxLength: 40 }), fc.constantFrom('multipart/mixed', 'multipart/mixed;boundary="b"', 'text/plain;boundary=b'));
    fc.assert(
      fc.property(ct, fc.array(piece, { maxLength: 30 }), (contentType, pieces) => {
        try {
          parseMultipart(contentType, Buffer.from(pieces.join(''), 'latin1'));
        } catch (err) {
          if (!(err instanceof MultipartError)) throw err;
        }
      }),
      { numRuns: 3000 },
    );
  });

  test('random bytes never throw anything but MultipartError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        try {
          parseMultipart('multipart/mixed;boundary=b', bytes);
        } catch (err) {
          if (!(err instanceof MultipartError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
