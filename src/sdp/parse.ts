/**
 * parseSdp: strict RFC 4566 checks on the raw lines, sdp-transform for the generic fields, and
 * our own reading of the MSRP attributes that sdp-transform's grammar does not know.
 *
 * Why split this way: sdp-transform never rejects anything (a bad line is skipped, a bad port
 * just leaves fields out), its writer re-orders attributes by grammar position, and its
 * grammar is one shared module object we would have to mutate to teach it RFC 4975. So the
 * raw lines are checked and kept here (that is what makes writeSdp a byte-exact round trip)
 * and sdp-transform is asked only for o= and c=, which it parses correctly once the line
 * has passed our check.
 */
// sdp-transform loads at the first SDP (a require on first use): an idle server never needs it
let sdpTransform: typeof import('sdp-transform') | undefined;
const transformParse = (sdp: string): ReturnType<typeof import('sdp-transform').parse> =>
  (sdpTransform ??= require('sdp-transform') as typeof import('sdp-transform')).parse(sdp);
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

  const generic = transformParse(
    [...sections.session, ...sections.media.flat()].map((l) => `${l.type}=${l.value}`).join('\r\n') + '\r\n',
  );
  const sessionAttrs = sections.session.filter((l) => l.type === 'a').map(locate);
  const sessionMsrp = readMsrpAttributes(sessionAttrs);
  const sessionConnection = connectionOf(generic.connection);

  const media = sections.media.map((lines, index): MediaDescription => {
    const mLine = parseMediaLine(lines[0]);
    const attrs = lines.filter((l) => l.type === 'a').map(locate);
    const msrp = readMsrpAttributes(attrs);
    // RFC 4566 section 5.7: c= at session level or in every media description
    const connection = connectionOf(generic.media[index]?.connection) ?? sessionConnection;
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
      attributes: attrs.map(({ name, value }) => ({ name, value })),
      lines: lines.map(({ type, value }) => ({ type, value })),
    };
  });

  const origin = generic.origin;
  return {
    origin: {
      // String(): sdp-transform turns numeric-looking fields into numbers
      username: String(origin.username),
      sessionId: String(origin.sessionId),
      sessionVersion: String(origin.sessionVersion),
      addressType: addressType(origin.ipVer),
      address: String(origin.address),
    },
    sessionName: sections.session[2].value, // as received: sdp-transform turns 's=1' into a number
    connection: sessionConnection,
    attributes: sessionAttrs.map(({ name, value }) => ({ name, value })),
    media,
    lines: sections.session.map(({ type, value }) => ({ type, value })),
  };
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

function connectionOf(c: { version: number; ip: string } | undefined): SdpConnection | undefined {
  return c === undefined ? undefined : { addressType: addressType(c.version), address: String(c.ip) };
}

function addressType(ipVer: number): AddressType {
  return ipVer === 6 ? 'IP6' : 'IP4';
}
