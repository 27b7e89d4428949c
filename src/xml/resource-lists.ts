/**
 * application/resource-lists+xml (RFC 4826) as a URI list for conferencing (RFC 5366): the
 * invitees of an ad-hoc conference (OMA IM 7.1.1.6 step 3), each entry optionally marked with
 * copyControl/anonymize attributes (RFC 5364).
 */
import { XmlError, excerpt } from './errors';
import { RESOURCE_LISTS_NS } from './group-document';
import { DEFAULT_XML_LIMITS, parseXml, qualifiedAttr, serializeXml, type XmlElement, type XmlLimits, type XmlOut } from './tree';
import { is, readAddressAttr } from './values';

export { RESOURCE_LISTS_NS };
/** RFC 5364 section 4 */
export const COPY_CONTROL_NS = 'urn:ietf:params:xml:ns:copycontrol';
export const RESOURCE_LISTS_CONTENT_TYPE = 'application/resource-lists+xml';

export type CopyControl = 'to' | 'cc' | 'bcc';

export interface ResourceListEntry {
  readonly uri: string;
  readonly displayName?: string;
  /** RFC 5364: how the recipient is presented to the others; 'to' when absent */
  readonly copyControl?: CopyControl;
  /** RFC 5364: hide this recipient's identity from the others */
  readonly anonymize?: boolean;
}

function readEntry(el: XmlElement): ResourceListEntry {
  const uri = readAddressAttr(el, 'uri');
  const entry: { -readonly [K in keyof ResourceListEntry]: ResourceListEntry[K] } = { uri };
  const dn = el.children.find((c) => is(c, RESOURCE_LISTS_NS, 'display-name'));
  if (dn !== undefined) entry.displayName = dn.text.trim();
  const cc = el.attrs.get(qualifiedAttr(COPY_CONTROL_NS, 'copyControl'));
  if (cc !== undefined) {
    if (cc !== 'to' && cc !== 'cc' && cc !== 'bcc') throw new XmlError('XML_INVALID', `copyControl must be to, cc or bcc, not "${excerpt(cc)}"`, el.path);
    entry.copyControl = cc;
  }
  const anon = el.attrs.get(qualifiedAttr(COPY_CONTROL_NS, 'anonymize'));
  if (anon !== undefined) {
    if (!['true', 'false', '1', '0'].includes(anon.trim())) throw new XmlError('XML_INVALID', `anonymize must be a boolean, not "${excerpt(anon)}"`, el.path);
    entry.anonymize = anon.trim() === 'true' || anon.trim() === '1';
  }
  return entry;
}

function walkList(list: XmlElement, out: ResourceListEntry[], seen: Set<string>): void {
  for (const c of list.children) {
    if (c.ns !== RESOURCE_LISTS_NS) continue; // extensions (RFC 4826 allows any namespace) say nothing about who is invited
    if (c.name === 'entry') {
      const e = readEntry(c);
      // The same URI twice (in nested lists) is one invitee: RFC 5366 has the server invite each URI once.
      if (!seen.has(e.uri)) {
        seen.add(e.uri);
        out.push(e);
      }
    } else if (c.name === 'list') {
      walkList(c, out, seen);
    } else if (c.name === 'entry-ref' || c.name === 'external') {
      // Dereferencing would need an XCAP fetch; refusing beats silently inviting fewer people.
      throw new XmlError('XML_INVALID', `<${c.name}> is not supported in a URI list: list each invitee as <entry uri>`, c.path);
    }
  }
}

/** The invitees of a URI list, in document order, each URI once; throws XmlError naming the element. */
export function parseResourceLists(input: string | Uint8Array, limits: XmlLimits = DEFAULT_XML_LIMITS): ResourceListEntry[] {
  const root = parseXml(input, limits);
  if (!is(root, RESOURCE_LISTS_NS, 'resource-lists')) {
    throw new XmlError('XML_INVALID', `root element must be <resource-lists> in namespace ${RESOURCE_LISTS_NS}, not <${excerpt(root.name)}>`);
  }
  const out: ResourceListEntry[] = [];
  const seen = new Set<string>();
  for (const c of root.children) if (is(c, RESOURCE_LISTS_NS, 'list')) walkList(c, out, seen);
  return out;
}

/** A URI list body for an INVITE to the conference factory (OMA IM 7.1.1.6 step 3, RFC 5366 section 4). */
export function serializeResourceLists(entries: readonly ResourceListEntry[]): string {
  const withCp = entries.some((e) => e.copyControl !== undefined || e.anonymize !== undefined);
  return serializeXml({
    name: 'resource-lists',
    attrs: [['xmlns', RESOURCE_LISTS_NS], ...(withCp ? [['xmlns:cp', COPY_CONTROL_NS] as const] : [])],
    children: [
      {
        name: 'list',
        children: entries.map((e): XmlOut => {
          const attrs: [string, string][] = [['uri', e.uri]];
          if (e.copyControl !== undefined) attrs.push(['cp:copyControl', e.copyControl]);
          if (e.anonymize !== undefined) attrs.push(['cp:anonymize', String(e.anonymize)]);
          return { name: 'entry', attrs, children: e.displayName === undefined ? [] : [{ name: 'display-name', text: e.displayName }] };
        }),
      },
    ],
  });
}
