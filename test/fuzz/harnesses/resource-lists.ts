// Resource lists (RFC 4826, src/xml/resource-lists.ts): only XmlError; what parses serializes
// and parses back to the same entries.
import { parseResourceLists, serializeResourceLists } from '../../../src/xml';
import { seedFiles } from '../mutate';
import type { Harness } from '../runner';
import { xmlRoundTripHarness } from './xml-common';

const SEEDS = seedFiles('test/fixtures/xml', /rfc5366|group/);

export const resourceListsHarness: Harness = xmlRoundTripHarness('resource-lists', SEEDS, parseResourceLists, serializeResourceLists);
