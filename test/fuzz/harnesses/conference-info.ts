// Conference-info (RFC 4575, src/xml/conference-info.ts): only XmlError; what parses
// serializes and parses back to the same document.
import { parseConferenceInfo, serializeConferenceInfo, type ConferenceInfo } from '../../../src/xml';
import type { Harness } from '../runner';
import { xmlRoundTripHarness } from './xml-common';

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

export const conferenceInfoHarness: Harness = xmlRoundTripHarness('conference-info', SEEDS, parseConferenceInfo, serializeConferenceInfo);
