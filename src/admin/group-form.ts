// The admin page's group form (issue 12 item 4). The form edits what an operator sets by hand:
// members, max participants, invite-members, and the actions of the rule for list members
// (join, anonymity, initiation, conference state) plus the release-policy overrides. It is
// turned into the same OMA group document the API takes by the one XML writer (src/xml) and
// stored through GroupService, which parses and checks it like any PUT. Rules the form does
// not show (identity conditions, other rules) are kept as they are.
import type * as http from 'node:http';
import { parseSipUri } from '../sip/stack';
import { isValidSipUser } from '../store';
import { checkAddress, parseGroupDocument, serializeGroupDocument, XmlError, type GroupDocument, type PolicyRule, type RuleActions } from '../xml';
import { GroupDocumentError, type GroupService } from './groups';
import { json, readJsonObject, segment } from './respond';

export interface GroupForm {
  readonly displayName: string;
  /** sip: URIs, or bare user names of the served domain */
  readonly members: readonly string[];
  readonly inviteMembers: boolean | null;
  readonly maxParticipantCount: number | null;
  readonly joinHandling: 'allow' | 'block';
  readonly allowAnonymity: boolean;
  readonly allowInitiateConference: boolean;
  readonly allowConferenceState: boolean;
  readonly autoRelease: boolean | null;
  readonly sessionMaxLength: number | null;
  readonly numberOfRemainingParticipants: 0 | 1 | null;
}

const MEMBER_RULE_ID = 'members';
const MAX_MEMBERS = 10_000;

/** The rule the form edits: the first whose only condition is <is-list-member/>. */
function memberRuleIndex(doc: GroupDocument): number {
  return doc.rules.findIndex((r) => r.conditions.length === 1 && r.conditions[0]!.kind === 'is-list-member');
}

export function formOf(doc: GroupDocument): { form: GroupForm; otherRules: number } {
  const i = memberRuleIndex(doc);
  const a: RuleActions = i >= 0 ? doc.rules[i]!.actions : {};
  return {
    form: {
      displayName: doc.displayName ?? '',
      members: doc.entries.map((e) => e.uri),
      inviteMembers: doc.inviteMembers ?? null,
      maxParticipantCount: doc.maxParticipantCount ?? null,
      joinHandling: a.joinHandling ?? 'block',
      allowAnonymity: a.allowAnonymity ?? false,
      allowInitiateConference: a.allowInitiateConference ?? false,
      allowConferenceState: a.allowConferenceState ?? false,
      autoRelease: doc.release.autoRelease ?? null,
      sessionMaxLength: doc.release.sessionMaxLength ?? null,
      numberOfRemainingParticipants: doc.release.numberOfRemainingParticipants ?? null,
    },
    otherRules: doc.rules.length - (i >= 0 ? 1 : 0),
  };
}

/** The form's JSON checked field by field; a GroupDocumentError names the field. */
export function readForm(body: Record<string, unknown>): GroupForm {
  const bad = (field: string, what: string): never => {
    throw new GroupDocumentError(field, what);
  };
  const bool = (f: string): boolean => (typeof body[f] === 'boolean' ? (body[f] as boolean) : bad(f, 'must be true or false'));
  const optBool = (f: string): boolean | null => (body[f] === null || body[f] === undefined ? null : bool(f));
  const optInt = (f: string, min: number): number | null => {
    const v = body[f];
    if (v === null || v === undefined || v === '') return null;
    return typeof v === 'number' && Number.isInteger(v) && v >= min ? v : bad(f, `must be a whole number, at least ${min}`);
  };
  const name = body.displayName ?? '';
  if (typeof name !== 'string' || name.length > 256) bad('displayName', 'must be text of at most 256 characters');
  const members = body.members;
  if (!Array.isArray(members) || members.length > MAX_MEMBERS || !members.every((m) => typeof m === 'string')) bad('members', `must be a list of at most ${MAX_MEMBERS} addresses`);
  const join = body.joinHandling;
  if (join !== 'allow' && join !== 'block') bad('joinHandling', 'must be allow or block');
  const remaining = optInt('numberOfRemainingParticipants', 0);
  if (remaining !== null && remaining !== 0 && remaining !== 1) bad('numberOfRemainingParticipants', 'must be 0 or 1');
  return {
    displayName: name as string,
    members: (members as string[]).map((m) => m.trim()).filter((m) => m !== ''),
    inviteMembers: optBool('inviteMembers'),
    maxParticipantCount: optInt('maxParticipantCount', 1),
    joinHandling: join as 'allow' | 'block',
    allowAnonymity: bool('allowAnonymity'),
    allowInitiateConference: bool('allowInitiateConference'),
    allowConferenceState: bool('allowConferenceState'),
    autoRelease: optBool('autoRelease'),
    sessionMaxLength: optInt('sessionMaxLength', 0),
    numberOfRemainingParticipants: remaining as 0 | 1 | null,
  };
}

/** A member as typed: an address with a scheme (sip:, tel:) as it is, a bare user name in the served domain. */
function memberUri(m: string, domain: string): string {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(m)) {
    const problem = checkAddress(m) ?? (/^sips?:/i.test(m) && parseSipUri(m) === undefined ? 'not a SIP address' : undefined);
    if (problem !== undefined) throw new GroupDocumentError('members', `"${m.slice(0, 64)}": ${problem}`);
    return m;
  }
  if (!isValidSipUser(m)) throw new GroupDocumentError('members', `not a user name or address: "${m.slice(0, 64)}"`);
  return `sip:${m}@${domain}`;
}

/** The document the form describes; the stored one's other rules (and member names) are kept. */
export function documentOf(id: string, form: GroupForm, domain: string, stored: GroupDocument | undefined): GroupDocument {
  const names = new Map((stored?.entries ?? []).map((e) => [e.uri, e.displayName]));
  const rule: PolicyRule = {
    id: MEMBER_RULE_ID,
    conditions: [{ kind: 'is-list-member' }],
    actions: {
      joinHandling: form.joinHandling,
      allowAnonymity: form.allowAnonymity,
      allowInitiateConference: form.allowInitiateConference,
      allowConferenceState: form.allowConferenceState,
    },
  };
  const rules = [...(stored?.rules ?? [])];
  const i = stored === undefined ? -1 : memberRuleIndex(stored);
  if (i >= 0) rules[i] = { ...rule, id: rules[i]!.id };
  else rules.unshift(rule);
  const seen = new Set<string>();
  const entries = form.members
    .map((m) => memberUri(m, domain))
    .filter((u) => !seen.has(u.toLowerCase()) && seen.add(u.toLowerCase()))
    .map((uri) => (names.get(uri) !== undefined ? { uri, displayName: names.get(uri)! } : { uri }));
  return {
    uri: `sip:${id}@${domain}`,
    ...(form.displayName !== '' ? { displayName: form.displayName } : {}),
    entries,
    ...(form.inviteMembers !== null ? { inviteMembers: form.inviteMembers } : {}),
    ...(form.maxParticipantCount !== null ? { maxParticipantCount: form.maxParticipantCount } : {}),
    rules,
    release: {
      ...(form.autoRelease !== null ? { autoRelease: form.autoRelease } : {}),
      ...(form.sessionMaxLength !== null ? { sessionMaxLength: form.sessionMaxLength } : {}),
      ...(form.numberOfRemainingParticipants !== null ? { numberOfRemainingParticipants: form.numberOfRemainingParticipants } : {}),
    },
  };
}

/** GET and PUT /groups/<id>/form. */
export function groupFormHandler(groups: GroupService, domain: string) {
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const id = segment(req, 2);
    if (id === undefined || !isValidSipUser(id)) return json(res, 404, { error: 'no such group' });
    const rec = groups.get(id);
    let stored: GroupDocument | undefined;
    try {
      stored = rec === undefined ? undefined : parseGroupDocument(rec.document);
    } catch (err) {
      if (!(err instanceof XmlError)) throw err;
      if (req.method !== 'PUT') return json(res, 409, { error: `the stored document cannot be read (${err.message}): import a new one` });
    }
    if (req.method !== 'PUT') {
      if (stored === undefined) return json(res, 404, { error: 'no such group' });
      return json(res, 200, { id, ...formOf(stored), updatedAt: new Date(rec!.updatedAt).toISOString() });
    }
    const body = await readJsonObject(req, res);
    if (body === undefined) return;
    try {
      const xml = serializeGroupDocument(documentOf(id, readForm(body), domain, stored));
      const { result } = groups.put(xml, id);
      return json(res, result === 'created' ? 201 : 200, { id, result });
    } catch (err) {
      if (err instanceof GroupDocumentError) return json(res, 400, { error: err.message, element: err.where });
      if (err instanceof XmlError) return json(res, 400, { error: err.message, element: err.path ?? 'group' });
      throw err;
    }
  };
}
