/**
 * Safe XML reading for the document codecs: a size cap before anything else, UTF-8 only, no
 * DOCTYPE (so no DTD entities, no billion laughs, no external entities), well-formedness checked
 * by fast-xml-parser's validator (its parser alone does not check), then a namespace-resolved
 * element tree. Names are resolved by namespace URI, never by prefix (Namespaces in XML 1.0):
 * `<g:group xmlns:g="urn:oma:xml:xdm:group">` and `<group xmlns="urn:oma:xml:xdm:group">` are
 * the same element.
 *
 * And the small writer used to serialize documents back.
 */
import type { XMLParser } from 'fast-xml-parser';

/**
 * fast-xml-parser, loaded at the first document (a require on first use): a server that is
 * never sent a group document or conference state does not carry it (issue 14 item 4).
 */
let fxp: typeof import('fast-xml-parser') | undefined;
function lib(): typeof import('fast-xml-parser') {
  return (fxp ??= require('fast-xml-parser') as typeof import('fast-xml-parser'));
}
import { XmlError, excerpt } from './errors';

/** Bound by definition to the prefix "xml" (Namespaces in XML 1.0, section 3). */
export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

export interface XmlElement {
  /** namespace URI; '' for an element in no namespace */
  readonly ns: string;
  /** local name */
  readonly name: string;
  /** attributes by expanded name: "uri" for an unprefixed one, "{namespace}local" for a prefixed one */
  readonly attrs: ReadonlyMap<string, string>;
  readonly children: readonly XmlElement[];
  /** character data directly inside (text and CDATA), entities decoded, untrimmed */
  readonly text: string;
  /** local names from below the root, with [n] among same-named siblings: "list/entry[2]"; '' for the root */
  readonly path: string;
}

export interface XmlLimits {
  /** size cap in bytes (UTF-8), checked before parsing */
  readonly maxBytes: number;
  /** deepest element nesting */
  readonly maxDepth: number;
  /** most elements in one document */
  readonly maxElements: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = { maxBytes: 64 * 1024, maxDepth: 32, maxElements: 4096 };

/** Expanded name of a namespaced attribute, as a key of XmlElement.attrs. */
export function qualifiedAttr(ns: string, local: string): string {
  return `{${ns}}${local}`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeInput(input: string | Uint8Array, limits: XmlLimits): string {
  const bytes = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (bytes > limits.maxBytes) throw new XmlError('XML_TOO_LARGE', `document of ${bytes} bytes exceeds the ${limits.maxBytes}-byte limit`);
  if (typeof input === 'string') return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  try {
    return utf8.decode(input); // drops a UTF-8 BOM
  } catch {
    throw new XmlError('XML_ENCODING', 'document is not valid UTF-8');
  }
}

type FxpNode = Record<string, unknown>;

function makeParser(limits: XmlLimits): XMLParser {
  return new (lib().XMLParser)({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    // Entities stay as written; decodeEntities() below accepts the five predefined ones and
    // character references, nothing else (ECOSYSTEM: processEntities false).
    processEntities: false,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    cdataPropName: '#cdata',
    maxNestedTags: limits.maxDepth + 1,
  });
}

/** XML 1.0 Char production: what a character reference may denote. */
function isXmlChar(c: number): boolean {
  return c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes the five predefined entities and character references; anything else is refused. */
function decodeEntities(s: string, path: string): string {
  let at = s.indexOf('&');
  if (at < 0) return s;
  let out = '';
  let from = 0;
  while (at >= 0) {
    const end = s.indexOf(';', at + 1);
    const name = end < 0 ? '' : s.slice(at + 1, end);
    if (end < 0) throw new XmlError('XML_MALFORMED', `bare "&" in ${excerpt(s)}`, path);
    if (name.length === 0 || name.length > 10) throw new XmlError('XML_MALFORMED', `malformed entity reference in ${excerpt(s)}`, path);
    let value: string | undefined = PREDEFINED[name];
    if (value === undefined && name.startsWith('#')) {
      const hex = name[1] === 'x';
      const digits = name.slice(hex ? 2 : 1);
      const ok = digits.length > 0 && [...digits].every((d) => (hex ? '0123456789abcdefABCDEF' : '0123456789').includes(d));
      const code = ok ? Number.parseInt(digits, hex ? 16 : 10) : NaN;
      if (!isXmlChar(code)) throw new XmlError('XML_MALFORMED', `character reference &${name}; is not an XML character`, path);
      value = String.fromCodePoint(code);
    }
    if (value === undefined) throw new XmlError('XML_FORBIDDEN', `entity &${excerpt(name)}; is not one of the five predefined entities`, path);
    out += s.slice(from, at) + value;
    from = end + 1;
    at = s.indexOf('&', from);
  }
  return out + s.slice(from);
}

function splitQName(qname: string, path: string): [prefix: string, local: string] {
  const colon = qname.indexOf(':');
  if (colon < 0) return ['', qname];
  const prefix = qname.slice(0, colon);
  const local = qname.slice(colon + 1);
  if (prefix === '' || local === '' || local.includes(':')) {
    throw new XmlError('XML_NAMESPACE', `malformed qualified name "${excerpt(qname)}"`, path);
  }
  return [prefix, local];
}

/** Element name of a preserveOrder node: its one key that is not the attribute group. */
function nodeName(node: FxpNode): string | undefined {
  for (const k of Object.keys(node)) if (k !== ':@') return k;
  return undefined;
}

interface Walk {
  elements: number;
  readonly limits: XmlLimits;
}

function convert(node: FxpNode, qname: string, scope: ReadonlyMap<string, string>, path: string, depth: number, walk: Walk): XmlElement {
  if (depth > walk.limits.maxDepth) throw new XmlError('XML_TOO_LARGE', `elements nested deeper than ${walk.limits.maxDepth}`, path);
  if (++walk.elements > walk.limits.maxElements) throw new XmlError('XML_TOO_LARGE', `more than ${walk.limits.maxElements} elements`);

  const raw = (node[':@'] ?? {}) as Record<string, string>;
  // Namespace declarations first: they apply to the element's own name and attributes.
  let inner = scope;
  for (const [k, v] of Object.entries(raw)) {
    if (k !== 'xmlns' && !k.startsWith('xmlns:')) continue;
    const value = decodeEntities(v, path);
    const prefix = k === 'xmlns' ? '' : k.slice(6);
    if (k !== 'xmlns' && (prefix === '' || prefix.includes(':'))) throw new XmlError('XML_NAMESPACE', `malformed namespace declaration "${excerpt(k)}"`, path);
    if (prefix !== '' && value === '') throw new XmlError('XML_NAMESPACE', `prefix "${prefix}" cannot be undeclared`, path);
    if (prefix === 'xmlns' || value === XMLNS_NS) throw new XmlError('XML_NAMESPACE', 'the xmlns prefix and namespace are reserved', path);
    if ((prefix === 'xml') !== (value === XML_NS)) throw new XmlError('XML_NAMESPACE', 'the xml prefix and its namespace go only together', path);
    if (inner === scope) inner = new Map(scope);
    (inner as Map<string, string>).set(prefix, value);
  }

  const resolve = (prefix: string, what: string): string => {
    const ns = inner.get(prefix);
    if (ns === undefined) throw new XmlError('XML_NAMESPACE', `undeclared prefix "${excerpt(prefix)}" on ${what}`, path);
    return ns;
  };
  const [elPrefix, name] = splitQName(qname, path);
  const ns = elPrefix === '' ? (inner.get('') ?? '') : resolve(elPrefix, `element ${excerpt(qname)}`);

  const attrs = new Map<string, string>();
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'xmlns' || k.startsWith('xmlns:')) continue;
    const [p, local] = splitQName(k, path);
    const key = p === '' ? local : qualifiedAttr(resolve(p, `attribute ${excerpt(k)}`), local);
    if (attrs.has(key)) throw new XmlError('XML_NAMESPACE', `attribute ${excerpt(k)} repeated`, path);
    attrs.set(key, decodeEntities(v, path));
  }

  // Children: count same-named siblings first so a path can say which one ("entry[2]").
  const body = (node[qname] ?? []) as FxpNode[];
  const seen = new Map<string, number>();
  for (const child of body) {
    const n = nodeName(child);
    if (n !== undefined && n !== '#text' && n !== '#cdata') seen.set(n, (seen.get(n) ?? 0) + 1);
  }
  const index = new Map<string, number>();
  let text = '';
  const children: XmlElement[] = [];
  for (const child of body) {
    const n = nodeName(child);
    if (n === undefined) continue;
    if (n === '#text') {
      text += decodeEntities(String(child[n]), path);
    } else if (n === '#cdata') {
      for (const part of child[n] as FxpNode[]) text += String(part['#text'] ?? '');
    } else {
      const k = (index.get(n) ?? 0) + 1;
      index.set(n, k);
      const local = n.includes(':') ? n.slice(n.indexOf(':') + 1) : n;
      const step = seen.get(n)! > 1 ? `${local}[${k}]` : local;
      children.push(convert(child, n, inner, path === '' ? step : `${path}/${step}`, depth + 1, walk));
    }
  }
  return { ns, name, attrs, children, text, path };
}

/**
 * Parses one XML document into a namespace-resolved tree. Throws XmlError, never anything else:
 * too large, not UTF-8, a DOCTYPE, not well-formed, an undeclared prefix, an unknown entity.
 */
export function parseXml(input: string | Uint8Array, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlElement {
  const text = decodeInput(input, limits);
  // A DOCTYPE is where entities and external references come from: none of our formats has one.
  if (text.includes('<!DOCTYPE') || text.includes('<!ENTITY')) throw new XmlError('XML_FORBIDDEN', 'DOCTYPE and entity declarations are not accepted');
  const valid = lib().XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new XmlError('XML_MALFORMED', `not well-formed (line ${line}${col === undefined ? '' : `, column ${col}`}): ${excerpt(msg)}`);
  }
  let nodes: FxpNode[];
  try {
    nodes = makeParser(limits).parse(text) as FxpNode[];
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (msg.includes('nested')) throw new XmlError('XML_TOO_LARGE', `elements nested deeper than ${limits.maxDepth}`);
    throw new XmlError('XML_MALFORMED', `not accepted: ${excerpt(msg)}`);
  }
  const roots: FxpNode[] = [];
  for (const node of nodes) {
    const n = nodeName(node);
    if (n === '#text') {
      if (String(node[n]).trim() !== '') throw new XmlError('XML_MALFORMED', 'text outside the root element');
    } else if (n === '#cdata') {
      throw new XmlError('XML_MALFORMED', 'CDATA outside the root element');
    } else if (n !== undefined) {
      roots.push(node);
    }
  }
  if (roots.length !== 1) throw new XmlError('XML_MALFORMED', `expected one root element, found ${roots.length}`);
  const root = roots[0]!;
  // The validator misses text after a self-closing root ("<a/>junk") and the parser drops it.
  // Only an empty root can end that way; then the document must end with a markup ">".
  if ((root[nodeName(root)!] as unknown[]).length === 0 && !text.trimEnd().endsWith('>')) {
    throw new XmlError('XML_MALFORMED', 'text after the root element');
  }
  const scope = new Map<string, string>([['xml', XML_NS]]);
  return convert(root, nodeName(root)!, scope, '', 0, { elements: 0, limits });
}

// ---- writing -------------------------------------------------------------------------------

/** An element to write: the qualified name as it should appear, attributes in order. */
export interface XmlOut {
  readonly name: string;
  readonly attrs?: ReadonlyArray<readonly [string, string]>;
  readonly children?: readonly XmlOut[];
  /** character data; an element has either text or children */
  readonly text?: string;
}

function escapeText(s: string): string {
  let out = '';
  // CR as a reference: a reader turns a literal CR (or CRLF) into LF (XML 1.0 section 2.11).
  for (const ch of s) out += ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : ch === '\r' ? '&#13;' : ch;
  return out;
}

function escapeAttr(s: string): string {
  let out = '';
  for (const ch of s) {
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '"') out += '&quot;';
    // Literal tab/CR/LF in an attribute are normalized to spaces by a reader: keep them as references.
    else if (ch === '\t') out += '&#9;';
    else if (ch === '\n') out += '&#10;';
    else if (ch === '\r') out += '&#13;';
    else out += ch;
  }
  return out;
}

function writeElement(el: XmlOut, indent: string, out: string[]): void {
  const attrs = (el.attrs ?? []).map(([k, v]) => ` ${k}="${escapeAttr(v)}"`).join('');
  const children = el.children ?? [];
  if (children.length > 0) {
    out.push(`${indent}<${el.name}${attrs}>`);
    for (const c of children) writeElement(c, `${indent}  `, out);
    out.push(`${indent}</${el.name}>`);
  } else if (el.text !== undefined && el.text !== '') {
    out.push(`${indent}<${el.name}${attrs}>${escapeText(el.text)}</${el.name}>`);
  } else {
    out.push(`${indent}<${el.name}${attrs}/>`);
  }
}

/** The document as UTF-8 XML text with a declaration, two-space indented, LF line ends. */
export function serializeXml(root: XmlOut): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  writeElement(root, '', out);
  return `${out.join('\n')}\n`;
}

/**
 * A read element written back as it was read, in meaning: its namespace declared where it
 * differs from the parent's (as the default namespace), namespaced attributes under generated
 * prefixes, text kept untrimmed. Lets a writer keep parts of a document it does not know.
 */
export function elementOut(el: XmlElement, parentNs: string | undefined): XmlOut {
  const attrs: [string, string][] = [];
  if (el.ns !== parentNs) attrs.push(['xmlns', el.ns]);
  let n = 0;
  for (const [k, v] of el.attrs) {
    if (!k.startsWith('{')) {
      attrs.push([k, v]);
      continue;
    }
    const ns = k.slice(1, k.indexOf('}'));
    const local = k.slice(k.indexOf('}') + 1);
    if (ns === XML_NS) {
      attrs.push([`xml:${local}`, v]);
      continue;
    }
    const prefix = `a${n++}`;
    attrs.push([`xmlns:${prefix}`, ns], [`${prefix}:${local}`, v]);
  }
  if (el.children.length > 0) return { name: el.name, attrs, children: el.children.map((c) => elementOut(c, el.ns)) };
  return { name: el.name, attrs, text: el.text };
}

