// The admin page's group form (issue 12 item 4). The form edits what an operator sets by hand:
// members, max participants, invite-members, and the actions of the rule for list members
// (join, anonymity, initiation, conference state) plus the release-policy overrides. It is
// turned into the same OMA group document the API takes by the one XML writer (src/xml) and
// stored through GroupService, which parses and checks it like any PUT. Rules and elements the
// form does not show (other rules whole, unknown elements and actions) are kept as they are:
// the form's fields are written into the stored document's tree (mergedDocument).
import type * as http from 'node:http';
import { parseSipUri } from '../sip/stack';
import { isValidSipUser } from '../store';
import {
  checkAddress,
  COMMON_POLICY_NS,
  elementOut,
  GROUP_NS,
  groupDocumentOut,
  parseGroupDocument,
  parseXml,
  RESOURCE_LISTS_NS,
  serializeGroupDocument,
  serializeXml,
  XmlError,
  type GroupDocument,
  type PolicyRule,
  type RuleActions,
  type XmlElement,
  type XmlOut,
} from '../xml';
import { GroupDocumentError, answerWriteRefusal, type GroupService } from './groups';
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

/** list-service children the form writes (OMA group namespace); every other one is kept. */
const FORM_FIELDS = new Set(['display-name', 'invite-members', 'max-participant-count', 'auto-release', 'session-max-length', 'number-of-remaining-participants']);
/** Actions of the member rule the form writes. */
const FORM_ACTIONS = new Set(['join-handling', 'allow-anonymity', 'allow-initiate-conference', 'allow-conference-state']);

const isEl = (e: XmlElement, ns: string, name: string): boolean => e.ns === ns && e.name === name;
const isList = (e: XmlElement): boolean => isEl(e, GROUP_NS, 'list') || isEl(e, RESOURCE_LISTS_NS, 'list');
/** A generated element placed inside a kept one: its namespace said on it, not taken from the kept parent. */
const inGroupNs = (o: XmlOut): XmlOut => ({ ...o, attrs: [['xmlns', GROUP_NS], ...(o.attrs ?? [])] });

/**
 * Attack finding F7: the form's document written into the stored one. What the form shows
 * (display name, members, invite-members, max participants, release overrides, the actions of
 * the member rule) comes from the form; every other element (other rules whole, other
 * conditions and actions, unknown elements and attributes, entry details) is kept as read.
 */
export function mergedDocument(storedXml: string, stored: GroupDocument, made: GroupDocument): string {
  const root = parseXml(storedXml);
  const gen = groupDocumentOut(made);
  const genLs = gen.children![0]!;
  const genChild = (name: string): XmlOut | undefined => genLs.children!.find((c) => c.name === name);
  const ls = root.children.find((c) => isEl(c, GROUP_NS, 'list-service'))!;

  // the member list: the form's addresses; an entry kept as stored (its details) when its address is unchanged
  const storedEntries = new Map<string, XmlElement>();
  const listExtras: XmlOut[] = [];
  const walk = (list: XmlElement): void => {
    for (const c of list.children) {
      if (c.name === 'entry' && (c.ns === GROUP_NS || c.ns === RESOURCE_LISTS_NS)) storedEntries.set(c.attrs.get('uri') ?? '', c);
      else if (isList(c)) walk(c);
      else listExtras.push(elementOut(c, GROUP_NS));
    }
  };
  for (const l of ls.children.filter(isList)) walk(l);
  const list: XmlOut = {
    name: 'list',
    children: [...made.entries.map((e, i) => (storedEntries.has(e.uri) ? elementOut(storedEntries.get(e.uri)!, GROUP_NS) : genChild('list')!.children![i]!)), ...listExtras],
  };

  const memberIndex = memberRuleIndex(stored);
  const genRules = genChild('cr:ruleset')?.children ?? [];
  const genMember = genRules[memberRuleIndex(made)]!;
  const ruleset = (rs: XmlElement): XmlOut => {
    const out: XmlOut[] = [];
    let i = 0;
    for (const c of rs.children) {
      if (!isEl(c, COMMON_POLICY_NS, 'rule') || i++ !== memberIndex) {
        out.push(elementOut(c, COMMON_POLICY_NS));
        continue;
      }
      const genActions = genMember.children!.find((a) => a.name === 'cr:actions')!.children!.map(inGroupNs);
      const rule = elementOut(c, COMMON_POLICY_NS);
      const children = c.children.map((k, j): XmlOut => {
        if (!isEl(k, COMMON_POLICY_NS, 'actions')) return rule.children![j]!;
        const kept = k.children.filter((a) => !(a.ns === GROUP_NS && FORM_ACTIONS.has(a.name))).map((a) => elementOut(a, COMMON_POLICY_NS));
        return { name: 'actions', attrs: [], children: [...genActions, ...kept] };
      });
      if (!c.children.some((k) => isEl(k, COMMON_POLICY_NS, 'actions'))) children.push({ name: 'cr:actions', children: genActions });
      out.push({ ...rule, children });
    }
    // a new member rule inside the kept ruleset: its OMA elements say their namespace
    if (memberIndex < 0) out.unshift({ ...genMember, children: genMember.children!.map((k) => ({ ...k, children: (k.children ?? []).map(inGroupNs) })) });
    return { name: 'ruleset', attrs: [['xmlns', COMMON_POLICY_NS]], children: out };
  };

  const children: XmlOut[] = [];
  for (const name of ['display-name', 'list', 'invite-members', 'max-participant-count']) {
    const g = name === 'list' ? list : genChild(name);
    if (g !== undefined) children.push(g);
  }
  const storedRuleset = ls.children.find((c) => isEl(c, COMMON_POLICY_NS, 'ruleset'));
  const rs = storedRuleset !== undefined ? ruleset(storedRuleset) : genChild('cr:ruleset');
  if (rs !== undefined) children.push(rs);
  for (const name of ['auto-release', 'session-max-length', 'number-of-remaining-participants']) {
    const g = genChild(name);
    if (g !== undefined) children.push(g);
  }
  for (const c of ls.children) {
    const formOwned = (c.ns === GROUP_NS && FORM_FIELDS.has(c.name)) || isList(c) || isEl(c, COMMON_POLICY_NS, 'ruleset');
    if (!formOwned) children.push(elementOut(c, GROUP_NS));
  }
  const lsAttrs = [...ls.attrs].filter(([k]) => k !== 'uri').map(([k, v]) => [k, v] as [string, string]);
  return serializeXml({
    name: 'group',
    attrs: [...gen.attrs!, ...[...root.attrs].filter(([k]) => !k.startsWith('{')).map(([k, v]) => [k, v] as [string, string])],
    children: [
      { name: 'list-service', attrs: [['uri', made.uri], ...lsAttrs.filter(([k]) => !k.startsWith('{'))], children },
      ...root.children.filter((c) => c !== ls).map((c) => elementOut(c, GROUP_NS)),
    ],
  });
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
      const made = documentOf(id, readForm(body), domain, stored);
      const xml = stored !== undefined && rec !== undefined ? mergedDocument(rec.document, stored, made) : serializeGroupDocument(made);
      const { result } = groups.put(xml, id);
      return json(res, result === 'created' ? 201 : 200, { id, result });
    } catch (err) {
      if (err instanceof XmlError) return json(res, 400, { error: err.message, element: err.path ?? 'group' });
      // attack finding: a new group through the form at groups.maxStoredGroups answered 500
      if (!answerWriteRefusal(res, err)) throw err;
    }
  };
}
