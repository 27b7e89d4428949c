/**
 * parseSdp: strict RFC 4566 checks on the raw lines, then our own reading of the fields an IM
 * server uses (o=, c=, m=) and of the MSRP attributes.
 *
 * The raw lines are checked and kept here (that is what makes writeSdp a byte-exact round
 * trip). o= and c= are read by splitting lines that have already passed the grammar check of
 * fields.ts (single spaces, known address types), which is all sdp-transform was asked for:
 * it cost a second pass over the whole body per SDP, a share of every session set-up (issue 8).
 */
import { SdpError } from './errors';
import { checkFieldLines, parseAttributeLine, parseMediaLine } from './fields';
import { splitSections, type NumberedLine } from './lines';
import { readMsrpAttributes, type LocatedAttribute } from './msrp-attributes';
import type { AddressType, MediaDescription, SdpConnection, SessionDescription } from './types';

export interface ParseSdpOptions {
  /** Largest body accepted, in bytes (UTF-8). */
  readonly maxBytes: number;
  /** Most m= sections accepted. */
  readonly maxMedia: number;
}

export const DEFAULT_PARSE_SDP_OPTIONS: ParseSdpOptions = { maxBytes: 16 * 1024, maxMedia: 16 };

/** Parses an SDP body; throws SdpError (with a reason and usually a line number) if it is malformed. */
export function parseSdp(text: string | Buffer, options: Partial<ParseSdpOptions> = {}): SessionDescription {
  const opts = { ...DEFAULT_PARSE_SDP_OPTIONS, ...options };
  const size = typeof text === 'string' ? Buffer.byteLength(text, 'utf8') : text.length;
  if (size > opts.maxBytes) throw new SdpError('SDP_TOO_LARGE', `body of ${size} bytes exceeds ${opts.maxBytes}`);
  const body = typeof text === 'string' ? text : decodeUtf8(text);

  const sections = splitSections(body, opts.maxMedia);
  checkFieldLines(sections.session);
  sections.media.forEach(checkFieldLines);

  const sessionAttrs = sections.session.filter((l) => l.type === 'a').map(locate);
  const sessionMsrp = readMsrpAttributes(sessionAttrs);
  const sessionConnection = connectionOf(sections.session);

  const mLines = sections.media.map((lines) => parseMediaLine(lines[0]));
  const streams = mLines.length > 1 ? mLines.map(rejectedStream) : NO_STREAMS;
  const media = sections.media.map((lines, index): MediaDescription => {
    const mLine = mLines[index];
    const attrs = lines.filter((l) => l.type === 'a').map(locate);
    const msrp = readMsrpAttributes(attrs);
    // RFC 4566 section 5.7: c= at session level or in every media description
    const connection = connectionOf(lines) ?? sessionConnection;
    if (connection === undefined) {
      throw new SdpError('SDP_MISSING_LINE', `no c= line for m= section ${index + 1}`, lines[0].lineNo);
    }
    return {
      index,
      type: mLine.type,
      port: mLine.port,
      proto: mLine.proto,
      formats: mLine.formats,
      connection,
      acceptTypes: msrp.acceptTypes,
      acceptWrappedTypes: msrp.acceptWrappedTypes,
      maxSize: msrp.maxSize,
      path: msrp.path,
      // RFC 4145 section 4: a=setup may be given at session level for all media
      setup: msrp.setup ?? sessionMsrp.setup,
      // RFC 3264 section 5.1: media level, else session level, else sendrecv
      direction: msrp.direction ?? sessionMsrp.direction ?? 'sendrecv',
      fileSelector: msrp.fileSelector,
      streams,
      attributes: attrs.map(({ name, value }) => ({ name, value })),
      lines: lines.map(({ type, value }) => ({ type, value })),
    };
  });

  return {
    origin: originOf(sections.session),
    sessionName: sections.session[2].value, // as received
    connection: sessionConnection,
    attributes: sessionAttrs.map(({ name, value }) => ({ name, value })),
    media,
    lines: sections.session.map(({ type, value }) => ({ type, value })),
  };
}

const NO_STREAMS: readonly string[] = [];

// RFC 3264 6: a rejected stream is answered with port 0; its formats are ignored but at least one is written
function rejectedStream(m: { type: string; proto: string; formats: readonly string[] }): string {
  return `${m.type} 0 ${m.proto} ${m.formats.length > 0 ? m.formats.join(' ') : '*'}`;
}

function decodeUtf8(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SdpError('SDP_ENCODING', 'body is not valid UTF-8');
  }
}

function locate(line: NumberedLine): LocatedAttribute {
  return { ...parseAttributeLine(line), lineNo: line.lineNo };
}

/** The last line of a type in a section (one is expected; a repeated line overrides the earlier). */
function lastOf(lines: readonly NumberedLine[], type: string): NumberedLine | undefined {
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i].type === type) return lines[i];
  return undefined;
}

// RFC 4566 5.2: o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>,
// its shape checked by checkFieldLines (single spaces, IP4 or IP6); splitSections requires it.
function originOf(session: readonly NumberedLine[]): SessionDescription['origin'] {
  const [username, sessionId, sessionVersion, , addrtype, address] = (lastOf(session, 'o') as NumberedLine).value.split(' ');
  return { username, sessionId, sessionVersion, addressType: addressType(addrtype), address };
}

// RFC 4566 5.7: c=<nettype> <addrtype> <connection-address>, shape checked by checkFieldLines
function connectionOf(lines: readonly NumberedLine[]): SdpConnection | undefined {
  const c = lastOf(lines, 'c');
  if (c === undefined) return undefined;
  const [, addrtype, address] = c.value.split(' ');
  return { addressType: addressType(addrtype), address };
}

function addressType(addrtype: string): AddressType {
  return addrtype === 'IP6' ? 'IP6' : 'IP4';
}
