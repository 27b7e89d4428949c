// Resource lists (RFC 4826, src/xml/resource-lists.ts): only XmlError; what parses serializes
// and parses back to the same entries.
import { deepStrictEqual } from 'node:assert';
import { parseResourceLists, serializeResourceLists, XmlError } from '../../../src/xml';
import { garbageArb, seedFiles } from '../mutate';
import { onlyTyped, type Harness } from '../runner';
import { XML_TOKENS } from './xml-common';

const SEEDS = seedFiles('test/fixtures/xml', /rfc5366|group/);

export const resourceListsHarness: Harness = {
  parser: 'resource-lists',
  properties: [
    {
      name: 'garbage',
      bytes: true,
      arbitrary: garbageArb(SEEDS, XML_TOKENS),
      check: (data: Buffer) =>
        onlyTyped(() => {
          const entries = parseResourceLists(data);
          deepStrictEqual(parseResourceLists(serializeResourceLists(entries)), entries);
        }, XmlError),
      quickRuns: 200,
    },
  ],
};
