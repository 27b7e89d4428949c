import { isIdent, isMethod, isUtf8Text } from './grammar';
import type { MsrpStartLine } from './types';

const STATUS = /^[0-9]{3}$/;

/**
 * Parses a start line without its CRLF (RFC 4975 section 9, req-start / resp-start).
 * Returns undefined when the line does not follow the grammar.
 */
export function parseStartLine(line: string): MsrpStartLine | undefined {
  if (!line.startsWith('MSRP ')) return undefined;
  const sp = line.indexOf(' ', 5);
  if (sp < 0) return undefined;
  const transactionId = line.slice(5, sp);
  if (!isIdent(transactionId)) return undefined;
  const rest = line.slice(sp + 1);
  // section 9: status-code = 3DIGIT, then an optional SP comment
  const code = rest.slice(0, 3);
  if (STATUS.test(code) && (rest.length === 3 || rest[3] === ' ')) {
    const comment = rest.length > 4 ? rest.slice(4) : undefined;
    if (comment !== undefined && !isUtf8Text(comment)) return undefined;
    return { kind: 'response', transactionId, status: Number(code), comment };
  }
  if (!isMethod(rest)) return undefined;
  return { kind: 'request', transactionId, method: rest };
}

/** Formats a start line without its CRLF; throws RangeError on values the grammar forbids. */
export function formatStartLine(start: MsrpStartLine): string {
  if (!isIdent(start.transactionId)) throw new RangeError(`bad MSRP transaction id: ${start.transactionId}`);
  if (start.kind === 'request') {
    if (!isMethod(start.method)) throw new RangeError(`bad MSRP method: ${start.method}`);
    return `MSRP ${start.transactionId} ${start.method}`;
  }
  if (!Number.isInteger(start.status) || start.status < 0 || start.status > 999) {
    throw new RangeError(`bad MSRP status code: ${start.status}`);
  }
  const code = String(start.status).padStart(3, '0');
  if (start.comment === undefined || start.comment === '') return `MSRP ${start.transactionId} ${code}`;
  if (!isUtf8Text(start.comment)) throw new RangeError('MSRP comment holds control characters');
  return `MSRP ${start.transactionId} ${code} ${start.comment}`;
}
