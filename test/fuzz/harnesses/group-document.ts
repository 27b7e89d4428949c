// OMA group documents (src/xml/group-document.ts): only XmlError; what parses serializes and
// parses back to the same document.
import { deepStrictEqual } from 'node:assert';
import { parseGroupDocument, serializeGroupDocument, XmlError } from '../../../src/xml';
import { garbageArb, seedFiles } from '../mutate';
import { onlyTyped, type Harness } from '../runner';
import { XML_TOKENS } from './xml-common';

const SEEDS = seedFiles('test/fixtures/xml', /^group-.*\.xml$/);

export const groupDocumentHarness: Harness = {
  parser: 'group-document',
  properties: [
    {
      name: 'garbage',
      bytes: true,
      arbitrary: garbageArb(SEEDS, XML_TOKENS),
      check: (data: Buffer) =>
        onlyTyped(() => {
          const doc = parseGroupDocument(data);
          deepStrictEqual(parseGroupDocument(serializeGroupDocument(doc)), doc);
        }, XmlError),
      quickRuns: 200,
    },
  ],
};
