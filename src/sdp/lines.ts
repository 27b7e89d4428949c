/** Splits an SDP body into lines and sections and checks the line order of RFC 4566 section 5. */
import { SdpError, excerpt } from './errors';
import type { SdpLine, SdpLineType } from './types';

/** A line with its 1-based position in the body, so errors can point at it. */
export interface NumberedLine extends SdpLine {
  readonly lineNo: number;
}

export interface SdpSections {
  /** v= up to (not including) the first m=. */
  readonly session: readonly NumberedLine[];
  /** Each starts with its m= line. */
  readonly media: readonly (readonly NumberedLine[])[];
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(['v', 'o', 's', 'i', 'u', 'e', 'p', 'c', 'b', 't', 'r', 'z', 'k', 'a', 'm']);
// RFC 4566 section 5: the fields a media description may hold
const MEDIA_TYPES: ReadonlySet<string> = new Set(['i', 'c', 'b', 'k', 'a']);
const LINE = /^([a-z])=(.*)$/;

/**
 * RFC 4566 section 5: CRLF ends a line, but a parser SHOULD also accept a bare LF.
 * Blank lines are tolerated only at the very end (some stacks append an extra CRLF).
 */
export function splitSections(text: string, maxMedia: number): SdpSections {
  const raw = text.split(/\r\n|\n/);
  let end = raw.length;
  while (end > 0 && raw[end - 1] === '') end--;
  if (end === 0) throw new SdpError('SDP_MISSING_LINE', 'empty session description');

  const session: NumberedLine[] = [];
  const media: NumberedLine[][] = [];
  for (let i = 0; i < end; i++) {
    const lineNo = i + 1;
    const m = LINE.exec(raw[i]);
    if (m === null || raw[i].includes('\r')) {
      throw new SdpError('SDP_SYNTAX', `not a <type>=<value> line: "${excerpt(raw[i])}"`, lineNo);
    }
    // RFC 4566 section 5: a description with a type letter we do not understand is ignored whole
    if (!KNOWN_TYPES.has(m[1])) throw new SdpError('SDP_SYNTAX', `unknown line type "${m[1]}="`, lineNo);
    const line: NumberedLine = { type: m[1] as SdpLineType, value: m[2], lineNo };
    if (line.type === 'm') {
      if (media.length >= maxMedia) throw new SdpError('SDP_TOO_MANY_MEDIA', `more than ${maxMedia} m= sections`, lineNo);
      media.push([line]);
    } else if (media.length > 0) {
      if (!MEDIA_TYPES.has(line.type)) {
        throw new SdpError('SDP_SYNTAX', `${line.type}= line not allowed in a media section`, lineNo);
      }
      media[media.length - 1].push(line);
    } else {
      session.push(line);
    }
  }
  checkSessionOrder(session);
  return { session, media };
}

// RFC 4566 section 5: v=, o=, s= come first and in that order; at least one t= before any m=
function checkSessionOrder(session: readonly NumberedLine[]): void {
  const expected: SdpLineType[] = ['v', 'o', 's'];
  expected.forEach((type, i) => {
    const line = session[i];
    if (line === undefined || line.type !== type) {
      throw new SdpError('SDP_MISSING_LINE', `${type}= line missing (expected as line ${i + 1})`, line?.lineNo);
    }
  });
  for (const line of session.slice(3)) {
    if (line.type === 'v' || line.type === 'o' || line.type === 's') {
      throw new SdpError('SDP_SYNTAX', `second ${line.type}= line`, line.lineNo);
    }
  }
  if (!session.some((l) => l.type === 't')) throw new SdpError('SDP_MISSING_LINE', 't= line missing');
  if (session.filter((l) => l.type === 'c').length > 1) {
    const second = session.filter((l) => l.type === 'c')[1];
    throw new SdpError('SDP_SYNTAX', 'more than one session-level c= line', second.lineNo);
  }
}
