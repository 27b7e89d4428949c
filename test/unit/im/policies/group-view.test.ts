// The policies take the XML codec's GroupDocument as their GroupView (the policies import only
// util, so they state the shape themselves). The assignment below is checked by
// `tsc -p tsconfig.test.json`; the decisions run on the realistic fixture end to end.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decideInitiation, decideJoin, releaseDeadline, type GroupView } from '../../../../src/im/policies';
import { parseGroupDocument, type GroupDocument } from '../../../../src/xml';

const doc: GroupDocument = parseGroupDocument(readFileSync(join(__dirname, '../../../fixtures/xml/group-sales-team.xml')));
const view: GroupView = doc;
const HOST = 'branch.example.com';
const req = (originator: string, anonymityRequested = false) => ({ originator, anonymityRequested, mediaAcceptable: true });
const on = (...uris: string[]) => uris.map((uri) => ({ uri, connected: true }));

test('7.2.1.5 on the fixture group: members join, the supervisor joins (even anonymously), other hq users and strangers do not', () => {
  const snap = { target: { kind: 'predefined' as const, group: view }, participants: on('sip:alice@branch.example.com'), host: HOST };
  expect(decideJoin(snap, req('sip:bob@branch.example.com')).allowed).toBe(true);
  expect(decideJoin(snap, req('sip:boss@hq.example.com', true)).allowed).toBe(true);
  const refused = (uri: string, anon = false) => {
    const d = decideJoin(snap, req(uri, anon));
    return d.allowed ? undefined : [d.step, d.refusal.status];
  };
  expect(refused('sip:someone@hq.example.com')).toEqual([1, 403]);
  expect(refused('sip:stranger@example.org')).toEqual([1, 403]);
  // The office-hours rule has a <cr:validity> condition imedge does not evaluate: it never matches.
  expect(refused('sip:bob@branch.example.com', true)).toEqual([3, 403]);
});

test('7.2.1.5 step 2 on the fixture group: max-participant-count 4', () => {
  const snap = { target: { kind: 'predefined' as const, group: view }, participants: on('sip:alice@branch.example.com', 'sip:bob@branch.example.com', 'sip:carol@branch.example.com', 'tel:+15551234567'), host: HOST };
  const d = decideJoin(snap, req('sip:dave@branch.example.com'));
  expect(d.allowed ? undefined : d.refusal.warningHeader()).toBe('399 branch.example.com "Too many participants"');
});

test('7.2.2.3 on the fixture group: alice initiates, 3 of the 4 others are invited', () => {
  expect(decideInitiation(view, 'sip:alice@branch.example.com', HOST)).toMatchObject({
    allowed: true,
    invite: ['sip:bob@branch.example.com', 'sip:carol@branch.example.com', 'sip:dave@branch.example.com'],
    notInvited: ['tel:+15551234567'],
  });
});

test('7.2.2.8 on the fixture group: session-max-length 7200 s from the document', () => {
  expect(releaseDeadline({ kind: 'predefined', group: view, operator: { autoRelease: true, sessionMaxLengthS: 0, remainingParticipants: 0 }, createdAt: 0 })).toBe(7_200_000);
});
