// OMA group documents (src/xml/group-document.ts): only XmlError; what parses serializes and
// parses back to the same document.
import { parseGroupDocument, serializeGroupDocument } from '../../../src/xml';
import { seedFiles } from '../mutate';
import type { Harness } from '../runner';
import { xmlRoundTripHarness } from './xml-common';

const SEEDS = seedFiles('test/fixtures/xml', /^group-.*\.xml$/);

export const groupDocumentHarness: Harness = xmlRoundTripHarness('group-document', SEEDS, parseGroupDocument, serializeGroupDocument);
