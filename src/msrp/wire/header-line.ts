import { isHeaderName, isUtf8Text, quoteWireText } from './grammar';
import type { MsrpFrameHead, MsrpHeader } from './types';

/**
 * Parses one header line without its CRLF (RFC 4975 section 9: hname ":" SP hval).
 * Liberal in one point: any run of SP/HTAB after the colon, and trailing blanks, are dropped.
 * Returns the reason as a string when the line breaks the grammar.
 */
export function parseHeaderLine(text: string): MsrpHeader | string {
  const colon = text.indexOf(':');
  if (colon <= 0) return 'header line without a name and colon';
  const name = text.slice(0, colon);
  // the reason becomes a 400 comment: the name is peer text, quoted safely
  if (!isHeaderName(name)) return `bad header name "${quoteWireText(name)}"`;
  let s = colon + 1;
  let e = text.length;
  while (s < e && (text[s] === ' ' || text[s] === '\t')) s++;
  while (e > s && (text[e - 1] === ' ' || text[e - 1] === '\t')) e--;
  const value = text.slice(s, e);
  if (!isUtf8Text(value)) return `control characters in the value of ${name}`; // name passed isHeaderName
  return { name, value };
}

/** Value of the first header with this name (names compare case-insensitively, section 9). */
export function getHeader(head: Pick<MsrpFrameHead, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const h of head.headers) if (h.name.toLowerCase() === wanted) return h.value;
  return undefined;
}
