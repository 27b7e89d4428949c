/**
 * OMA shared group document (namespace urn:oma:xml:xdm:group), the shape fixed in DESIGN.md:
 * one <list-service uri> with <display-name>, a <list> of <entry uri>, <invite-members>,
 * <max-participant-count>, a common-policy <cr:ruleset> (RFC 4745) and imedge's release-policy
 * overrides (OMA IM 7.2.2.8) as further elements of the list-service.
 *
 * Parsing is strict about what it understands (a bad value or a repeated element is an error
 * naming the path) and tolerant of what it does not (other elements are skipped and reported),
 * because group documents are extensible. A condition it does not understand is kept as
 * "unsupported" and never matches (RFC 4745 section 7), so skipping can only narrow a rule.
 */
import { XmlError, excerpt } from './errors';
import { DEFAULT_XML_LIMITS, parseXml, serializeXml, type XmlElement, type XmlLimits, type XmlOut } from './tree';
import { checkAddress, is, optionalChild, readAddressAttr, readBoolean, readInteger } from './values';

export const GROUP_NS = 'urn:oma:xml:xdm:group';
export const COMMON_POLICY_NS = 'urn:ietf:params:xml:ns:common-policy';
/** RFC 4826: some group documents write <list>/<entry> in this namespace; both are read. */
export const RESOURCE_LISTS_NS = 'urn:ietf:params:xml:ns:resource-lists';

export const MAX_PARTICIPANT_COUNT_LIMIT = 100_000;
/** session-max-length bound (seconds): 2^31-1, about 68 years. */
export const MAX_SESSION_LENGTH_S = 2 ** 31 - 1;

export interface GroupEntry {
  readonly uri: string;
  readonly displayName?: string;
}

export type JoinHandling = 'allow' | 'block';

/** The actions of one rule; an absent action grants nothing (RFC 4745 section 10.2). */
export interface RuleActions {
  readonly joinHandling?: JoinHandling;
  readonly allowAnonymity?: boolean;
  readonly allowInitiateConference?: boolean;
  readonly allowConferenceState?: boolean;
}

/** <cr:except id> or <cr:except domain> inside <cr:many> (RFC 4745 section 7.1.3). */
export type IdentityExcept = { readonly id: string } | { readonly domain: string };

/** <cr:many>: any authenticated identity, or any within `domain`, minus the exceptions. */
export interface ManyIdentities {
  readonly domain?: string;
  readonly except: readonly IdentityExcept[];
}

export type RuleCondition =
  /** OMA: the requester is on the group's <list> */
  | { readonly kind: 'is-list-member' }
  /** RFC 4745 7.1: matches when any <one> or <many> matches */
  | { readonly kind: 'identity'; readonly one: readonly string[]; readonly many: readonly ManyIdentities[] }
  /** a condition imedge does not evaluate (sphere, validity, extensions): evaluates to FALSE */
  | { readonly kind: 'unsupported'; readonly ns: string; readonly name: string };

export interface PolicyRule {
  readonly id: string;
  /** all must match; none means the rule always matches (RFC 4745 section 10.1) */
  readonly conditions: readonly RuleCondition[];
  readonly actions: RuleActions;
}

/** OMA IM 7.2.2.8: group-definition values that take precedence over the operator's. */
export interface ReleaseOverrides {
  readonly autoRelease?: boolean;
  /** seconds; 0 means no limit */
  readonly sessionMaxLength?: number;
  readonly numberOfRemainingParticipants?: 0 | 1;
}

export interface GroupDocument {
  /** <list-service uri>: the group's address, sip:<group-id>@<domain> */
  readonly uri: string;
  readonly displayName?: string;
  /** <list>, in document order */
  readonly entries: readonly GroupEntry[];
  readonly inviteMembers?: boolean;
  readonly maxParticipantCount?: number;
  /** <cr:ruleset>, in document order; empty when there is none (then nothing is granted) */
  readonly rules: readonly PolicyRule[];
  readonly release: ReleaseOverrides;
}

export interface ParseGroupOptions {
  readonly limits?: XmlLimits;
  /** when given, the paths of elements skipped as unknown are pushed here (for the admin to show) */
  readonly ignored?: string[];
}

const fail = (el: XmlElement, reason: string): never => {
  throw new XmlError('XML_INVALID', reason, el.path);
};

function readDisplayName(el: XmlElement): string {
  const v = el.text.trim();
  if (v.length > 256) fail(el, 'display name longer than 256 characters');
  return v;
}

function isListish(el: XmlElement, name: string): boolean {
  return is(el, GROUP_NS, name) || is(el, RESOURCE_LISTS_NS, name);
}

function readEntries(list: XmlElement, out: GroupEntry[], seen: Set<string>, ignored: string[] | undefined): void {
  for (const c of list.children) {
    if (isListish(c, 'entry')) {
      const uri = readAddressAttr(c, 'uri');
      // RFC 4826 section 3.4.1: a uri appears at most once in a list.
      if (seen.has(uri)) fail(c, `duplicate entry ${excerpt(uri)}`);
      seen.add(uri);
      const dn = c.children.find((d) => isListish(d, 'display-name'));
      out.push(dn === undefined ? { uri } : { uri, displayName: readDisplayName(dn) });
    } else if (isListish(c, 'list')) {
      readEntries(c, out, seen, ignored); // RFC 4826 nested list: its members are members
    } else if (isListish(c, 'entry-ref') || isListish(c, 'external')) {
      fail(c, `<${c.name}> is not supported: list the members as <entry uri>`);
    } else if (!isListish(c, 'display-name')) {
      ignored?.push(c.path);
    }
  }
}

function readIdentity(el: XmlElement, ignored: string[] | undefined): RuleCondition {
  const one: string[] = [];
  const many: ManyIdentities[] = [];
  for (const c of el.children) {
    if (is(c, COMMON_POLICY_NS, 'one')) {
      const id = c.attrs.get('id');
      if (id === undefined || id.trim() === '') fail(c, 'missing id attribute');
      one.push(id!.trim());
    } else if (is(c, COMMON_POLICY_NS, 'many')) {
      const domain = c.attrs.get('domain');
      const except: IdentityExcept[] = [];
      for (const e of c.children) {
        if (!is(e, COMMON_POLICY_NS, 'except')) {
          ignored?.push(e.path);
          continue;
        }
        const id = e.attrs.get('id');
        const dom = e.attrs.get('domain');
        if ((id === undefined) === (dom === undefined)) fail(e, 'needs exactly one of the id and domain attributes');
        except.push(id !== undefined ? { id: id.trim() } : { domain: dom!.trim() });
      }
      many.push(domain === undefined ? { except } : { domain: domain.trim(), except });
    } else {
      // Skipping an alternative can only make the identity condition match fewer requesters.
      ignored?.push(c.path);
    }
  }
  return { kind: 'identity', one, many };
}

function readConditions(el: XmlElement, ignored: string[] | undefined): RuleCondition[] {
  return el.children.map((c): RuleCondition => {
    if (is(c, GROUP_NS, 'is-list-member')) return { kind: 'is-list-member' };
    if (is(c, COMMON_POLICY_NS, 'identity')) return readIdentity(c, ignored);
    return { kind: 'unsupported', ns: c.ns, name: c.name };
  });
}

function readActions(el: XmlElement, ignored: string[] | undefined): RuleActions {
  const a: { -readonly [K in keyof RuleActions]: RuleActions[K] } = {};
  const once = (c: XmlElement, present: boolean): void => {
    if (present) fail(c, `more than one <${c.name}>`);
  };
  for (const c of el.children) {
    if (c.ns !== GROUP_NS) {
      ignored?.push(c.path);
      continue;
    }
    switch (c.name) {
      case 'join-handling': {
        once(c, a.joinHandling !== undefined);
        const v = c.text.trim();
        if (v !== 'allow' && v !== 'block') fail(c, `must be allow or block, not "${excerpt(v)}"`);
        a.joinHandling = v as JoinHandling;
        break;
      }
      case 'allow-anonymity':
        once(c, a.allowAnonymity !== undefined);
        a.allowAnonymity = readBoolean(c);
        break;
      case 'allow-initiate-conference':
        once(c, a.allowInitiateConference !== undefined);
        a.allowInitiateConference = readBoolean(c);
        break;
      case 'allow-conference-state':
        once(c, a.allowConferenceState !== undefined);
        a.allowConferenceState = readBoolean(c);
        break;
      default:
        ignored?.push(c.path);
    }
  }
  return a;
}

function readRuleset(el: XmlElement, ignored: string[] | undefined): PolicyRule[] {
  const rules: PolicyRule[] = [];
  const ids = new Set<string>();
  for (const r of el.children) {
    if (!is(r, COMMON_POLICY_NS, 'rule')) {
      ignored?.push(r.path);
      continue;
    }
    const id = r.attrs.get('id');
    if (id === undefined || id.trim() === '') fail(r, 'missing id attribute');
    if (ids.has(id!)) fail(r, `duplicate rule id "${excerpt(id!)}"`);
    ids.add(id!);
    const conditions = optionalChild(r, COMMON_POLICY_NS, 'conditions');
    const actions = optionalChild(r, COMMON_POLICY_NS, 'actions');
    for (const c of r.children) {
      if (!is(c, COMMON_POLICY_NS, 'conditions') && !is(c, COMMON_POLICY_NS, 'actions')) ignored?.push(c.path);
    }
    rules.push({
      id: id!,
      conditions: conditions === undefined ? [] : readConditions(conditions, ignored),
      actions: actions === undefined ? {} : readActions(actions, ignored),
    });
  }
  return rules;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function readListService(ls: XmlElement, ignored: string[] | undefined): GroupDocument {
  const uri = readAddressAttr(ls, 'uri');
  const doc: Mutable<GroupDocument> = { uri, entries: [], rules: [], release: {} };
  const release: Mutable<ReleaseOverrides> = {};
  const seen = new Set<string>();
  const once = (c: XmlElement): void => {
    const key = `{${c.ns}}${c.name}`;
    if (seen.has(key)) fail(c, `more than one <${c.name}>`);
    seen.add(key);
  };
  for (const c of ls.children) {
    if (is(c, COMMON_POLICY_NS, 'ruleset')) {
      once(c);
      doc.rules = readRuleset(c, ignored);
      continue;
    }
    if (isListish(c, 'list')) {
      once(c);
      const entries: GroupEntry[] = [];
      readEntries(c, entries, new Set(), ignored);
      doc.entries = entries;
      continue;
    }
    if (c.ns !== GROUP_NS) {
      ignored?.push(c.path);
      continue;
    }
    switch (c.name) {
      case 'display-name':
        once(c);
        doc.displayName = readDisplayName(c);
        break;
      case 'invite-members':
        once(c);
        doc.inviteMembers = readBoolean(c);
        break;
      case 'max-participant-count':
        once(c);
        doc.maxParticipantCount = readInteger(c, 1, MAX_PARTICIPANT_COUNT_LIMIT);
        break;
      case 'auto-release':
        once(c);
        release.autoRelease = readBoolean(c);
        break;
      case 'session-max-length':
        once(c);
        release.sessionMaxLength = readInteger(c, 0, MAX_SESSION_LENGTH_S);
        break;
      case 'number-of-remaining-participants':
        once(c);
        release.numberOfRemainingParticipants = readInteger(c, 0, 1) as 0 | 1;
        break;
      default:
        ignored?.push(c.path);
    }
  }
  doc.release = release;
  return doc;
}

/** Reads a group document; throws XmlError naming the element (path) at fault. */
export function parseGroupDocument(input: string | Uint8Array, options: ParseGroupOptions = {}): GroupDocument {
  const root = parseXml(input, options.limits ?? DEFAULT_XML_LIMITS);
  if (!is(root, GROUP_NS, 'group')) {
    throw new XmlError('XML_INVALID', `root element must be <group> in namespace ${GROUP_NS}, not <${excerpt(root.name)}>${root.ns ? ` in ${excerpt(root.ns)}` : ''}`);
  }
  const services = root.children.filter((c) => is(c, GROUP_NS, 'list-service'));
  if (services.length !== 1) throw new XmlError('XML_INVALID', `<group> must hold exactly one <list-service>, found ${services.length}`);
  for (const c of root.children) if (!is(c, GROUP_NS, 'list-service')) options.ignored?.push(c.path);
  return readListService(services[0]!, options.ignored);
}

// ---- writing -------------------------------------------------------------------------------

const leaf = (name: string, text: string): XmlOut => ({ name, text });

function conditionOut(c: RuleCondition): XmlOut {
  switch (c.kind) {
    case 'is-list-member':
      return { name: 'is-list-member' };
    case 'identity':
      return {
        name: 'cr:identity',
        children: [
          ...c.one.map((id): XmlOut => ({ name: 'cr:one', attrs: [['id', id]] })),
          ...c.many.map(
            (m): XmlOut => ({
              name: 'cr:many',
              attrs: m.domain === undefined ? [] : [['domain', m.domain]],
              children: m.except.map((e): XmlOut => ({ name: 'cr:except', attrs: 'id' in e ? [['id', e.id]] : [['domain', e.domain]] })),
            }),
          ),
        ],
      };
    case 'unsupported':
      // Kept as an empty element in its own namespace: it still evaluates to FALSE when read back.
      if (c.ns === COMMON_POLICY_NS) return { name: `cr:${c.name}` };
      if (c.ns === GROUP_NS) return { name: c.name };
      if (c.ns === '') return { name: c.name, attrs: [['xmlns', '']] };
      return { name: `x:${c.name}`, attrs: [['xmlns:x', c.ns]] };
  }
}

function actionsOut(a: RuleActions): XmlOut[] {
  const out: XmlOut[] = [];
  if (a.joinHandling !== undefined) out.push(leaf('join-handling', a.joinHandling));
  if (a.allowAnonymity !== undefined) out.push(leaf('allow-anonymity', String(a.allowAnonymity)));
  if (a.allowInitiateConference !== undefined) out.push(leaf('allow-initiate-conference', String(a.allowInitiateConference)));
  if (a.allowConferenceState !== undefined) out.push(leaf('allow-conference-state', String(a.allowConferenceState)));
  return out;
}

/** The document as XML text; parseGroupDocument(serializeGroupDocument(d)) deep-equals d. */
export function serializeGroupDocument(doc: GroupDocument): string {
  return serializeXml(groupDocumentOut(doc));
}

/** The document as the element tree serializeGroupDocument writes (root <group>, prefix cr declared there). */
export function groupDocumentOut(doc: GroupDocument): XmlOut {
  const problem = checkAddress(doc.uri);
  if (problem !== undefined) throw new XmlError('XML_INVALID', `uri: ${problem}`, 'list-service');
  const ls: XmlOut[] = [];
  if (doc.displayName !== undefined) ls.push(leaf('display-name', doc.displayName));
  ls.push({
    name: 'list',
    children: doc.entries.map((e): XmlOut => ({
      name: 'entry',
      attrs: [['uri', e.uri]],
      children: e.displayName === undefined ? [] : [leaf('display-name', e.displayName)],
    })),
  });
  if (doc.inviteMembers !== undefined) ls.push(leaf('invite-members', String(doc.inviteMembers)));
  if (doc.maxParticipantCount !== undefined) ls.push(leaf('max-participant-count', String(doc.maxParticipantCount)));
  if (doc.rules.length > 0) {
    ls.push({
      name: 'cr:ruleset',
      children: doc.rules.map((r): XmlOut => ({
        name: 'cr:rule',
        attrs: [['id', r.id]],
        children: [
          { name: 'cr:conditions', children: r.conditions.map(conditionOut) },
          { name: 'cr:actions', children: actionsOut(r.actions) },
        ],
      })),
    });
  }
  const rel = doc.release;
  if (rel.autoRelease !== undefined) ls.push(leaf('auto-release', String(rel.autoRelease)));
  if (rel.sessionMaxLength !== undefined) ls.push(leaf('session-max-length', String(rel.sessionMaxLength)));
  if (rel.numberOfRemainingParticipants !== undefined) ls.push(leaf('number-of-remaining-participants', String(rel.numberOfRemainingParticipants)));
  return {
    name: 'group',
    attrs: [
      ['xmlns', GROUP_NS],
      ['xmlns:cr', COMMON_POLICY_NS],
    ],
    children: [{ name: 'list-service', attrs: [['uri', doc.uri]], children: ls }],
  };
}
