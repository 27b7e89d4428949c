// Shared by the three XML document harnesses: protocol fragments spliced into mutated fixtures,
// and the one property they all hold.
import { deepStrictEqual } from 'node:assert';
import { XmlError } from '../../../src/xml';
import { garbageArb } from '../mutate';
import { onlyTyped, type Harness } from '../runner';

export const XML_TOKENS = [
  '<', '>', '/>', '</', '<?xml version="1.0"?>', '<!DOCTYPE x [<!ENTITY a "aaaa">]>', '&a;', '&amp;', '&#0;', '&#x10FFFF;', '&#xD800;',
  '<![CDATA[', ']]>', '<!--', '-->', 'xmlns="', 'xmlns:p="', 'urn:ietf:params:xml:ns:resource-lists', 'urn:oma:xml:xdm:group',
  'urn:ietf:params:xml:ns:conference-info', 'urn:ietf:params:xml:ns:common-policy', '"', "'", '=', ' ', 'entity="sip:a@b"',
  'uri="sip:x@y?Replaces=a%40b%3Bto-tag%3D1%3Bfrom-tag%3D2"', '<entry uri="sip:a@b"/>', '<user entity="sip:u@h">', 'version="4294967296"',
  'state="full"', '<list>', '</list>', 'p:', '\x00', '\xff', '\xc3\xa9', '\r\n',
];

/** Garbage from the seeds gives only XmlError; what parses serializes and parses back to the same value. */
export function xmlRoundTripHarness<T>(parser: string, seeds: readonly Buffer[], parse: (b: Buffer | string) => T, serialize: (v: T) => string): Harness {
  return {
    parser,
    properties: [
      {
        name: 'garbage',
        bytes: true,
        arbitrary: garbageArb(seeds, XML_TOKENS),
        check: (data: Buffer) =>
          onlyTyped(() => {
            const value = parse(data);
            deepStrictEqual(parse(serialize(value)), value);
          }, XmlError),
        quickRuns: 200,
      },
    ],
  };
}
