// RFC 4575 5: the conference-info documents imedge writes validate against the schema (xmllint)
// and read back; the reader never throws anything but XmlError.
import fc from 'fast-check';
import { parseConferenceInfo, serializeConferenceInfo, XmlError, type ConferenceInfo } from '../../../src/xml';
import { xmllintErrors } from '../../helpers/xmllint';

const FULL: ConferenceInfo = {
  entity: 'sip:conf-abc@127.0.0.1:5060',
  state: 'full',
  version: 1,
  description: { displayText: 'Sales & <friends>', maxUserCount: 10 },
  conferenceState: { userCount: 2, active: true },
  users: [
    { entity: 'sip:alice@localhost', displayText: 'Alice', roles: ['participant', 'initiator'], endpoint: { entity: 'sip:alice@localhost', status: 'connected', joiningMethod: 'dialed-in' } },
    { entity: 'sip:anonymous-1@anonymous.invalid', displayText: 'Anonymous', roles: ['participant'], endpoint: { entity: 'sip:anonymous-1@anonymous.invalid', status: 'connected', joiningMethod: 'dialed-out' } },
  ],
};

test('RFC 4575 5: a full document validates against the schema and reads back the same', () => {
  const xml = serializeConferenceInfo(FULL);
  expect(xmllintErrors(xml)).toBe('');
  expect(parseConferenceInfo(xml)).toEqual(FULL);
});

test('RFC 4575 5.1: a partial document with a deleted user validates', () => {
  const xml = serializeConferenceInfo({
    entity: FULL.entity,
    state: 'partial',
    version: 7,
    conferenceState: { userCount: 1 },
    users: [{ entity: 'sip:bob@localhost', state: 'deleted', endpoint: { entity: 'sip:bob@localhost', status: 'disconnected', disconnectionMethod: 'departed' } }],
  });
  expect(xmllintErrors(xml)).toBe('');
  expect(parseConferenceInfo(xml).users?.[0]?.state).toBe('deleted');
});

test('RFC 4575 5: a document with the wrong root, a bad state or no entity is an XmlError naming it', () => {
  expect(() => parseConferenceInfo('<x/>')).toThrow(XmlError);
  expect(() => parseConferenceInfo('<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="sip:a@b" state="maybe"/>')).toThrow(/state must be/);
  expect(() => parseConferenceInfo('<conference-info xmlns="urn:ietf:params:xml:ns:conference-info"/>')).toThrow(/missing entity/);
});

test('fuzz: the reader throws only XmlError', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (tail) => {
      try {
        parseConferenceInfo(`<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="sip:a@b" version="1">${tail}</conference-info>`);
      } catch (err) {
        expect(err).toBeInstanceOf(XmlError);
      }
    }),
    { numRuns: 300, seed: 4575 },
  );
});
