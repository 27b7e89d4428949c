// The admin page's group form and the OMA group document (issue 12 item 4): the form is written
// by the one XML writer, read back by the one parser; rules the form does not show are kept.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { documentOf, formOf, mergedDocument, readForm } from '../../../src/admin/group-form';
import { GroupDocumentError } from '../../../src/admin/groups';
import { parseGroupDocument, serializeGroupDocument } from '../../../src/xml';

const FORM = {
  displayName: 'Sales',
  members: ['alice', ' sip:bob@localhost ', '', 'alice'],
  inviteMembers: true,
  maxParticipantCount: 4,
  joinHandling: 'allow',
  allowAnonymity: true,
  allowInitiateConference: true,
  allowConferenceState: false,
  autoRelease: false,
  sessionMaxLength: 0,
  numberOfRemainingParticipants: 1,
};

test('a form becomes a document the parser reads back to the same form (members as sip: URIs, once each)', () => {
  const doc = documentOf('sales', readForm(FORM), 'localhost', undefined);
  const again = parseGroupDocument(serializeGroupDocument(doc));
  expect(again).toEqual(doc);
  expect(formOf(again)).toEqual({
    form: { ...FORM, members: ['sip:alice@localhost', 'sip:bob@localhost'] },
    otherRules: 0,
  });
});

test('unset overrides stay out of the document (the server\'s policy applies)', () => {
  const doc = documentOf('g', readForm({ ...FORM, inviteMembers: null, maxParticipantCount: '', autoRelease: null, sessionMaxLength: null, numberOfRemainingParticipants: null }), 'localhost', undefined);
  expect(doc.inviteMembers).toBeUndefined();
  expect(doc.maxParticipantCount).toBeUndefined();
  expect(doc.release).toEqual({});
});

test('editing a stored document keeps the rules the form does not show and the members\' display names', () => {
  const stored = parseGroupDocument(readFileSync(path.join(__dirname, '../../fixtures/xml/group-sales-team.xml')));
  const { form, otherRules } = formOf(stored);
  const doc = documentOf('sales-team', { ...form, maxParticipantCount: 3 }, stored.uri.split('@')[1]!, stored);
  expect(doc.rules.length).toBe(stored.rules.length);
  expect(doc.rules.length - 1).toBe(otherRules);
  expect(doc.entries).toEqual(stored.entries);
  expect(doc.maxParticipantCount).toBe(3);
});

test('a bad field is refused naming it', () => {
  const bad = (patch: Record<string, unknown>) => {
    try {
      documentOf('g', readForm({ ...FORM, ...patch }), 'localhost', undefined);
    } catch (err) {
      return err instanceof GroupDocumentError ? err.where : String(err);
    }
    return 'accepted';
  };
  expect(bad({ joinHandling: 'maybe' })).toBe('joinHandling');
  expect(bad({ maxParticipantCount: 0 })).toBe('maxParticipantCount');
  expect(bad({ numberOfRemainingParticipants: 2 })).toBe('numberOfRemainingParticipants');
  expect(bad({ allowAnonymity: 'yes' })).toBe('allowAnonymity');
  expect(bad({ members: 'alice' })).toBe('members');
  expect(bad({ members: ['sip:'] })).toBe('members');
  expect(bad({ members: ['not a user'] })).toBe('members');
});

test('attack finding F7: a stored ruleset without a member rule gets one from the form; its other rule is kept whole', () => {
  const stored = `<?xml version="1.0" encoding="UTF-8"?>
<g:group xmlns:g="urn:oma:xml:xdm:group"><g:list-service uri="sip:v@localhost"><g:list/>
<ruleset xmlns="urn:ietf:params:xml:ns:common-policy"><rule id="vip"><conditions><x:external-list xmlns:x="urn:oma:xml:xdm:common-policy"><x:entry anc="sip:vip@localhost"/></x:external-list></conditions><actions/></rule></ruleset>
</g:list-service></g:group>`;
  const doc = parseGroupDocument(stored);
  const made = documentOf('v', readForm(FORM), 'localhost', doc);
  const merged = mergedDocument(stored, doc, made);
  const back = parseGroupDocument(merged);
  expect(formOf(back).form).toEqual({ ...FORM, members: ['sip:alice@localhost', 'sip:bob@localhost'] });
  expect(back.rules.map((r) => r.id)).toEqual(['members', 'vip']);
  expect(merged).toMatch(/<entry anc="sip:vip@localhost"\/>/);
  expect(merged).toMatch(/xmlns="urn:oma:xml:xdm:common-policy"/);
});
