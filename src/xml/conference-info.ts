/**
 * RFC 4575 application/conference-info+xml: the conference state a focus NOTIFYs (OMA IM
 * 7.2.2.10) and a client reads. Only the parts imedge produces and consumes: description,
 * state, users with roles and one endpoint each. Pure: no I/O.
 */
import { XmlError, excerpt } from './errors';
import { parseXml, serializeXml, type XmlElement, type XmlLimits, DEFAULT_XML_LIMITS, type XmlOut } from './tree';

export const CONFERENCE_INFO_NS = 'urn:ietf:params:xml:ns:conference-info';
export const CONFERENCE_INFO_CONTENT_TYPE = 'application/conference-info+xml';

/** RFC 4575 5.1: full, partial (only what changed) or deleted. */
export type InfoState = 'full' | 'partial' | 'deleted';
/** RFC 4575 5.7.1 */
export type EndpointStatus = 'pending' | 'dialing-out' | 'dialing-in' | 'alerting' | 'on-hold' | 'connected' | 'muted-via-focus' | 'disconnecting' | 'disconnected';
/** RFC 4575 5.7.2 */
export type JoiningMethod = 'dialed-in' | 'dialed-out' | 'focus-owner';
/** RFC 4575 5.7.4 */
export type DisconnectionMethod = 'departed' | 'booted' | 'failed' | 'busy';

export interface InfoEndpoint {
  readonly entity: string;
  readonly state?: InfoState;
  readonly status?: EndpointStatus;
  readonly joiningMethod?: JoiningMethod;
  readonly disconnectionMethod?: DisconnectionMethod;
}

export interface InfoUser {
  readonly entity: string;
  readonly state?: InfoState;
  readonly displayText?: string;
  /** RFC 4575 5.6.3: free-form role names (imedge: participant, initiator) */
  readonly roles?: readonly string[];
  readonly endpoint?: InfoEndpoint;
}

export interface ConferenceInfo {
  /** the conference URI (the IM Session Identity) */
  readonly entity: string;
  readonly state: InfoState;
  readonly version: number;
  readonly description?: { readonly displayText?: string; readonly subject?: string; readonly maxUserCount?: number };
  readonly conferenceState?: { readonly userCount?: number; readonly active?: boolean };
  readonly users?: readonly InfoUser[];
}

const MAX_UNSIGNED_INT = 4294967295;

function leaf(name: string, text: string | number | boolean | undefined): XmlOut[] {
  return text === undefined ? [] : [{ name, text: String(text) }];
}

function withState(state: InfoState | undefined): [string, string][] {
  return state === undefined ? [] : [['state', state]];
}

/** RFC 4575 5: the document, element order as the schema's sequences give it. */
export function serializeConferenceInfo(ci: ConferenceInfo): string {
  if (!Number.isInteger(ci.version) || ci.version < 0 || ci.version > MAX_UNSIGNED_INT) throw new RangeError(`conference-info version out of range: ${ci.version}`);
  const children: XmlOut[] = [];
  if (ci.description !== undefined) {
    const d = ci.description;
    children.push({ name: 'conference-description', children: [...leaf('display-text', d.displayText), ...leaf('subject', d.subject), ...leaf('maximum-user-count', d.maxUserCount)] });
  }
  if (ci.conferenceState !== undefined) {
    const s = ci.conferenceState;
    children.push({ name: 'conference-state', children: [...leaf('user-count', s.userCount), ...leaf('active', s.active)] });
  }
  if (ci.users !== undefined) {
    children.push({
      name: 'users',
      children: ci.users.map((u): XmlOut => {
        const parts: XmlOut[] = [...leaf('display-text', u.displayText)];
        if (u.roles !== undefined && u.roles.length > 0) parts.push({ name: 'roles', children: u.roles.map((r) => ({ name: 'entry', text: r })) });
        if (u.endpoint !== undefined) {
          const e = u.endpoint;
          parts.push({
            name: 'endpoint',
            attrs: [['entity', e.entity], ...withState(e.state)],
            children: [...leaf('status', e.status), ...leaf('joining-method', e.joiningMethod), ...leaf('disconnection-method', e.disconnectionMethod)],
          });
        }
        return { name: 'user', attrs: [['entity', u.entity], ...withState(u.state)], children: parts };
      }),
    });
  }
  return serializeXml({
    name: 'conference-info',
    attrs: [['xmlns', CONFERENCE_INFO_NS], ['entity', ci.entity], ['state', ci.state], ['version', String(ci.version)]],
    children,
  });
}

// ---- reading (the client's side; fuzzed as every decoder of network input) -------------------

function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.ns === CONFERENCE_INFO_NS && c.name === name);
}

function children(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.ns === CONFERENCE_INFO_NS && c.name === name);
}

function readState(el: XmlElement): InfoState | undefined {
  const v = el.attrs.get('state');
  if (v === undefined) return undefined;
  if (v !== 'full' && v !== 'partial' && v !== 'deleted') throw new XmlError('XML_INVALID', `state must be full, partial or deleted, not "${excerpt(v)}"`, el.path);
  return v;
}

function readUint(el: XmlElement): number {
  const t = el.text.trim();
  if (!/^\d{1,10}$/.test(t) || Number(t) > MAX_UNSIGNED_INT) throw new XmlError('XML_INVALID', `not an unsigned integer: "${excerpt(t)}"`, el.path);
  return Number(t);
}

function required(el: XmlElement, attr: string): string {
  const v = el.attrs.get(attr);
  if (v === undefined || v === '') throw new XmlError('XML_INVALID', `missing ${attr} attribute`, el.path);
  return v;
}

const JOINING = new Set(['dialed-in', 'dialed-out', 'focus-owner']);
const DISCONNECTION = new Set(['departed', 'booted', 'failed', 'busy']);
const STATUSES = new Set(['pending', 'dialing-out', 'dialing-in', 'alerting', 'on-hold', 'connected', 'muted-via-focus', 'disconnecting', 'disconnected']);

/** Reads a conference-info document; throws XmlError naming the element for anything else. */
export function parseConferenceInfo(input: string | Uint8Array, limits: XmlLimits = DEFAULT_XML_LIMITS): ConferenceInfo {
  const root = parseXml(input, limits);
  if (root.ns !== CONFERENCE_INFO_NS || root.name !== 'conference-info') {
    throw new XmlError('XML_INVALID', `root element must be <conference-info> in namespace ${CONFERENCE_INFO_NS}`);
  }
  const versionText = root.attrs.get('version');
  const version = versionText === undefined ? 0 : Number(/^\d{1,10}$/.test(versionText) ? versionText : NaN);
  if (!Number.isInteger(version) || version > MAX_UNSIGNED_INT) throw new XmlError('XML_INVALID', `version is not an unsigned integer`, root.path);
  const out: { -readonly [K in keyof ConferenceInfo]: ConferenceInfo[K] } = { entity: required(root, 'entity'), state: readState(root) ?? 'full', version };
  const desc = child(root, 'conference-description');
  if (desc !== undefined) {
    const max = child(desc, 'maximum-user-count');
    out.description = {
      ...(child(desc, 'display-text') !== undefined ? { displayText: child(desc, 'display-text')!.text } : {}),
      ...(child(desc, 'subject') !== undefined ? { subject: child(desc, 'subject')!.text } : {}),
      ...(max !== undefined ? { maxUserCount: readUint(max) } : {}),
    };
  }
  const st = child(root, 'conference-state');
  if (st !== undefined) {
    const uc = child(st, 'user-count');
    const active = child(st, 'active');
    out.conferenceState = {
      ...(uc !== undefined ? { userCount: readUint(uc) } : {}),
      ...(active !== undefined ? { active: ['true', '1'].includes(active.text.trim()) } : {}),
    };
  }
  const users = child(root, 'users');
  if (users !== undefined) {
    out.users = children(users, 'user').map((u): InfoUser => {
      const roles = child(u, 'roles');
      const ep = child(u, 'endpoint');
      const dt = child(u, 'display-text');
      let endpoint: InfoEndpoint | undefined;
      if (ep !== undefined) {
        const status = child(ep, 'status')?.text.trim();
        if (status !== undefined && !STATUSES.has(status)) throw new XmlError('XML_INVALID', `unknown endpoint status "${excerpt(status)}"`, ep.path);
        const epState = readState(ep);
        const joining = child(ep, 'joining-method')?.text.trim();
        const disconnection = child(ep, 'disconnection-method')?.text.trim();
        if (joining !== undefined && !JOINING.has(joining)) throw new XmlError('XML_INVALID', `unknown joining-method "${excerpt(joining)}"`, ep.path);
        if (disconnection !== undefined && !DISCONNECTION.has(disconnection)) throw new XmlError('XML_INVALID', `unknown disconnection-method "${excerpt(disconnection)}"`, ep.path);
        endpoint = {
          entity: ep.attrs.get('entity') ?? '',
          ...(epState !== undefined ? { state: epState } : {}),
          ...(status !== undefined ? { status: status as EndpointStatus } : {}),
          ...(joining !== undefined ? { joiningMethod: joining as JoiningMethod } : {}),
          ...(disconnection !== undefined ? { disconnectionMethod: disconnection as DisconnectionMethod } : {}),
        };
      }
      const state = readState(u);
      return {
        entity: required(u, 'entity'),
        ...(state !== undefined ? { state } : {}),
        ...(dt !== undefined ? { displayText: dt.text } : {}),
        ...(roles !== undefined ? { roles: children(roles, 'entry').map((e) => e.text.trim()) } : {}),
        ...(endpoint !== undefined ? { endpoint } : {}),
      };
    });
  }
  return out;
}
