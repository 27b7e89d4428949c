// Conference-info (RFC 4575, src/xml/conference-info.ts): only XmlError; what parses
// serializes and parses back to the same document.
import { deepStrictEqual } from 'node:assert';
import { parseConferenceInfo, serializeConferenceInfo, XmlError, type ConferenceInfo } from '../../../src/xml';
import { garbageArb } from '../mutate';
import { onlyTyped, type Harness } from '../runner';
import { XML_TOKENS } from './xml-common';

const SAMPLES: ConferenceInfo[] = [
  {
    entity: 'sip:conf-abc@127.0.0.1:5060',
    state: 'full',
    version: 1,
    description: { displayText: 'Sales & <friends>', subject: 'q3', maxUserCount: 10 },
    conferenceState: { userCount: 2, active: true },
    users: [
      { entity: 'sip:alice@localhost', displayText: 'Alice', roles: ['participant', 'initiator'], endpoint: { entity: 'sip:alice@localhost', status: 'connected', joiningMethod: 'dialed-in' } },
      { entity: 'sip:bob@localhost', state: 'deleted', endpoint: { entity: 'sip:bob@localhost', status: 'disconnected', disconnectionMethod: 'departed' } },
    ],
  },
  { entity: 'sip:c@h', state: 'partial', version: 4294967295, users: [] },
];
const SEEDS = SAMPLES.map((s) => Buffer.from(serializeConferenceInfo(s)));

export const conferenceInfoHarness: Harness = {
  parser: 'conference-info',
  properties: [
    {
      name: 'garbage',
      bytes: true,
      arbitrary: garbageArb(SEEDS, XML_TOKENS),
      check: (data: Buffer) =>
        onlyTyped(() => {
          const ci = parseConferenceInfo(data);
          deepStrictEqual(parseConferenceInfo(serializeConferenceInfo(ci)), ci);
        }, XmlError),
      quickRuns: 200,
    },
  ],
};
