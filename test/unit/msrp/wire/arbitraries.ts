import fc from 'fast-check';
import type { ByteRange, MsrpStatus } from '../../../../src/msrp/wire/headers';
import { containsEndLine, type MsrpRequestSpec, type MsrpResponseSpec } from '../../../../src/msrp/wire/serializer';
import type { MsrpFlag, MsrpHeader } from '../../../../src/msrp/wire/types';

export const tidArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9.\-+%=]{3,15}$/);

export const uriArb = fc
  .record({
    scheme: fc.constantFrom('msrp', 'msrps'),
    host: fc.constantFrom('a.example.com', 'Relay.Example.COM', '10.0.0.1', '[2001:db8::1]'),
    port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    session: fc.stringMatching(/^[A-Za-z0-9]{1,12}$/),
  })
  .map((u) => `${u.scheme}://${u.host}${u.port === undefined ? '' : `:${u.port}`}/${u.session};tcp`);

const pathArb = fc.array(uriArb, { minLength: 1, maxLength: 3 });

const byteRangeArb: fc.Arbitrary<ByteRange> = fc
  .tuple(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 5000 }), fc.boolean(), fc.boolean())
  .map(([start, len, endKnown, totalKnown]) => {
    const end = start + len - 1;
    return { start, end: endKnown ? end : null, total: totalKnown ? end + 7 : null };
  });

const statusArb: fc.Arbitrary<MsrpStatus> = fc.record({
  namespace: fc.constant(0),
  code: fc.integer({ min: 100, max: 999 }),
  reason: fc.option(fc.stringMatching(/^[A-Za-z]([A-Za-z ]{0,10}[A-Za-z])?$/), { nil: undefined }),
});

const extraArb: fc.Arbitrary<MsrpHeader[]> = fc.array(
  fc.record({
    name: fc.stringMatching(/^X-[A-Za-z]{1,8}$/),
    value: fc.stringMatching(/^[!-~]([ -~]{0,20}[!-~])?$/),
  }),
  { maxLength: 3 },
);

/** Body pieces chosen to trip an end-line search: look-alikes of this frame's end-line. */
function bodyArb(tid: string): fc.Arbitrary<Buffer> {
  const lookAlike = fc.constantFrom(
    `\r\n-------${tid}`,
    `\r\n-------${tid}x$\r\n`,
    `\r\n-------${tid.slice(0, -1)}$\r\n`,
    `\r\n-------other1$\r\n`,
    `\r\n-------${tid}!\r\n`,
    `\r\n-------${tid}$`,
    `\r\n-------${tid}+\r`,
    `-------`,
    '\r\n',
    '\r',
  );
  const piece = fc.oneof(
    fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
    lookAlike.map((s) => Buffer.from(s, 'latin1')),
  );
  return fc
    .array(piece, { maxLength: 8 })
    .map((parts) => Buffer.concat(parts))
    .filter((b) => !containsEndLine(b, tid));
}

export interface GenRequest {
  readonly kind: 'request';
  readonly spec: MsrpRequestSpec;
  readonly body: Buffer | undefined;
  readonly flag: MsrpFlag;
}
export interface GenResponse {
  readonly kind: 'response';
  readonly spec: MsrpResponseSpec;
}
export type GenFrame = GenRequest | GenResponse;

const requestArb: fc.Arbitrary<GenFrame> = tidArb.chain((transactionId) =>
  fc
    .record({
      method: fc.constantFrom('SEND', 'REPORT', 'NICKNAME'),
      toPath: pathArb,
      fromPath: pathArb,
      messageId: fc.option(tidArb, { nil: undefined }),
      byteRange: fc.option(byteRangeArb, { nil: undefined }),
      successReport: fc.option(fc.constantFrom('yes' as const, 'no' as const), { nil: undefined }),
      failureReport: fc.option(fc.constantFrom('yes' as const, 'no' as const, 'partial' as const), { nil: undefined }),
      status: fc.option(statusArb, { nil: undefined }),
      extraHeaders: extraArb,
      contentType: fc.option(fc.constantFrom('text/plain', 'message/cpim', 'application/octet-stream;x=1'), {
        nil: undefined,
      }),
      body: bodyArb(transactionId),
      flag: fc.constantFrom<MsrpFlag>('$', '+', '#'),
    })
    .map(({ body, flag, ...rest }): GenFrame => {
      // keep frames valid (section 7.1.1 / 7.1.2): SEND and REPORT need Message-ID, REPORT Status
      const messageId = rest.method === 'NICKNAME' ? rest.messageId : rest.messageId ?? 'msg0';
      const status = rest.method === 'REPORT' ? rest.status ?? { namespace: 0, code: 200, reason: 'OK' } : rest.status;
      const spec: MsrpRequestSpec = { transactionId, ...rest, messageId, status };
      return { kind: 'request', spec, body: spec.contentType === undefined ? undefined : body, flag };
    }),
);

const responseArb: fc.Arbitrary<GenFrame> = fc
  .record({
    transactionId: tidArb,
    status: fc.integer({ min: 100, max: 999 }),
    comment: fc.option(fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,10}$/), { nil: undefined }),
    toPath: fc.array(uriArb, { minLength: 1, maxLength: 1 }),
    fromPath: fc.array(uriArb, { minLength: 1, maxLength: 1 }),
    extraHeaders: extraArb,
  })
  .map((spec): GenFrame => ({ kind: 'response', spec }));

export const frameArb: fc.Arbitrary<GenFrame> = fc.oneof(requestArb, responseArb);
export const streamArb = fc.array(frameArb, { minLength: 1, maxLength: 5 });
