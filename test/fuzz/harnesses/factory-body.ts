// The conference factory body (src/im/controlling/factory-body.ts): any Content-Type and body
// give a result (ok, or a 400/415 with a reason), never a throw.
import fc from 'fast-check';
import { readFactoryBody } from '../../../src/im/controlling/factory-body';
import { buildMultipart } from '../../../src/sip/message/multipart';
import { garbageArb, seedFiles } from '../mutate';
import type { Harness } from '../runner';

const BOUNDARY = 'fb-b0und';
const SDP = seedFiles('test/fixtures/sdp', /rfc4975-10.1-offer/)[0]!;
const LISTS = seedFiles('test/fixtures/xml', /rfc5366/);
const SEEDS = LISTS.map(
  (l) =>
    buildMultipart(
      [
        { contentType: 'application/sdp', body: SDP },
        { contentType: 'application/resource-lists+xml', headers: { 'Content-Disposition': 'recipient-list' }, body: l },
      ],
      BOUNDARY,
    ).body,
);
const TOKENS = [`--${BOUNDARY}\r\n`, `\r\n--${BOUNDARY}--`, '\r\n\r\n', 'Content-Type: application/sdp\r\n', 'Content-Type: application/resource-lists+xml\r\n', 'Content-Disposition: recipient-list\r\n', '<entry uri="sip:a@b?Replaces=a%40b%3Bto-tag%3D1%3Bfrom-tag%3D2"/>', '<', '>', '"', '?', '%', '&', '\x00'];

export const factoryBodyHarness: Harness = {
  parser: 'factory-body',
  properties: [
    {
      name: 'garbage',
      arbitrary: fc.tuple(fc.constantFrom(`multipart/mixed;boundary=${BOUNDARY}`, 'multipart/mixed', 'application/sdp', `multipart/mixed;boundary="${BOUNDARY}"`), garbageArb(SEEDS, TOKENS)),
      check: ([ct, body]: [string, Buffer]) => {
        const r = readFactoryBody(ct, body);
        if (!r.ok && r.status !== 400 && r.status !== 415) throw new Error(`status ${String(r.status)}`);
      },
      quickRuns: 200,
    },
  ],
};
