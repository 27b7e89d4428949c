/** Simple-type readers shared by the document codecs (XML Schema lexical forms); each throws XmlError naming the path. */
import { XmlError, excerpt } from './errors';
import type { XmlElement } from './tree';

/** xs:boolean after whitespace collapse: true, false, 1, 0. */
export function readBoolean(el: XmlElement): boolean {
  const v = el.text.trim();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new XmlError('XML_INVALID', `not a boolean (true/false): "${excerpt(v)}"`, el.path);
}

/** A decimal integer in [min, max] (xs:integer lexical form without sign or with a leading +). */
export function readInteger(el: XmlElement, min: number, max: number): number {
  let v = el.text.trim();
  if (v.startsWith('+')) v = v.slice(1);
  if (v === '' || v.length > 12 || ![...v].every((c) => c >= '0' && c <= '9')) {
    throw new XmlError('XML_INVALID', `not an integer: "${excerpt(el.text.trim())}"`, el.path);
  }
  const n = Number(v);
  if (n < min || n > max) throw new XmlError('XML_INVALID', `${n} is out of range ${min}..${max}`, el.path);
  return n;
}

export const MAX_URI_LENGTH = 512;

/**
 * A SIP, SIPS or tel URI as a member address: no white space, no controls, none of the
 * characters that delimit a URI inside a header (<, >, "), a scheme we route.
 * A light check: full grammar is the SIP layer's job, this keeps garbage out of documents.
 */
export function checkAddress(uri: string): string | undefined {
  if (uri.length === 0) return 'empty URI';
  if (uri.length > MAX_URI_LENGTH) return `URI longer than ${MAX_URI_LENGTH} characters`;
  for (const ch of uri) {
    const c = ch.codePointAt(0)!;
    if (c <= 0x20 || c === 0x7f || ch === '<' || ch === '>' || ch === '"') return `not a URI: "${excerpt(uri)}"`;
  }
  const colon = uri.indexOf(':');
  const scheme = colon > 0 ? uri.slice(0, colon).toLowerCase() : '';
  if (!['sip', 'sips', 'tel'].includes(scheme) || colon === uri.length - 1) return `not a sip:, sips: or tel: URI: "${excerpt(uri)}"`;
  return undefined;
}

/** The attribute `name` of el, required, as an address. */
export function readAddressAttr(el: XmlElement, name: string): string {
  const uri = el.attrs.get(name);
  if (uri === undefined) throw new XmlError('XML_INVALID', `missing ${name} attribute`, el.path);
  const problem = checkAddress(uri);
  if (problem !== undefined) throw new XmlError('XML_INVALID', `${name}: ${problem}`, el.path);
  return uri;
}

/** Whether el is {ns}name. */
export function is(el: XmlElement, ns: string, name: string): boolean {
  return el.ns === ns && el.name === name;
}

/** The one child {ns}name of parent, undefined when absent; a second one is an error. */
export function optionalChild(parent: XmlElement, ns: string, name: string): XmlElement | undefined {
  let found: XmlElement | undefined;
  for (const c of parent.children) {
    if (!is(c, ns, name)) continue;
    if (found !== undefined) throw new XmlError('XML_INVALID', `more than one <${name}>`, c.path);
    found = c;
  }
  return found;
}
