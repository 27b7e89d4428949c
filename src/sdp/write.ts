/** Serialisers: writeSdp (round trip of a parsed body) and buildMsrpSdp (a fresh MSRP offer or answer). */
import { isMediaTypeEntry, isMsrpUri } from './msrp-attributes';
import type { AddressType, Direction, MsrpProto, SessionDescription, SdpLine, SetupRole } from './types';

const CRLF = '\r\n';

/**
 * The parsed body again, every line in its original order and content, CRLF-terminated
 * (RFC 4566 section 5). sdp-transform's own writer is not used: it re-orders attributes.
 */
export function writeSdp(sd: SessionDescription): string {
  return formatLines([...sd.lines, ...sd.media.flatMap((m) => m.lines)]);
}

function formatLines(lines: readonly SdpLine[]): string {
  return lines.map((l) => `${l.type}=${l.value}${CRLF}`).join('');
}

/** What describes our side of one MSRP stream; answerFor produces it, buildMsrpSdp consumes it. */
export interface MsrpMediaOptions {
  /** c= address: IPv4, IPv6 (detected by ':') or a host name (written as IP4, as RFC 4975's examples do). */
  readonly address: string;
  readonly port: number;
  readonly proto: MsrpProto;
  readonly acceptTypes: readonly string[];
  readonly acceptWrappedTypes?: readonly string[];
  readonly maxSize?: number;
  /** Our MSRP URIs; the last is our own (RFC 4975 section 8.2). */
  readonly path: readonly string[];
  readonly setup?: SetupRole;
  readonly direction?: Direction;
  /**
   * An answer to an offer of several m= sections (MediaDescription.streams): every one is
   * written, rejected with port 0, and ours in its place `streamIndex` (RFC 3264 6).
   */
  readonly streams?: readonly string[];
  readonly streamIndex?: number;
}

export interface BuildMsrpSdpOptions extends MsrpMediaOptions {
  readonly origin: {
    readonly username: string;
    readonly sessionId: string | number | bigint;
    readonly version: string | number | bigint;
    readonly address: string;
  };
  /** s= value; "-" when omitted (RFC 4566 section 5.3 forbids an empty s=). */
  readonly sessionName?: string;
}

/**
 * A complete SDP body with one m=message stream. Attribute order is fixed so answers are stable
 * and diffable: accept-types, accept-wrapped-types, max-size, path, setup, direction.
 * Throws RangeError for options that would produce invalid SDP (a programming error, not input).
 */
export function buildMsrpSdp(opts: BuildMsrpSdpOptions): string {
  checkBuildOptions(opts);
  const lines: SdpLine[] = [
    { type: 'v', value: '0' },
    {
      type: 'o',
      value: `${opts.origin.username} ${opts.origin.sessionId} ${opts.origin.version} IN ${addressType(opts.origin.address)} ${opts.origin.address}`,
    },
    { type: 's', value: opts.sessionName ?? '-' },
    { type: 'c', value: `IN ${addressType(opts.address)} ${opts.address}` },
    { type: 't', value: '0 0' },
  ];
  // RFC 3264 6: as many m= lines as the offer, in its order; the ones not taken have port 0
  const streams = opts.streams ?? [];
  const at = opts.streamIndex ?? 0;
  for (let i = 0; i < at && i < streams.length; i++) lines.push({ type: 'm', value: streams[i] });
  lines.push(
    // RFC 4975 section 8.1: the format list of an MSRP m-line is "*"
    { type: 'm', value: `message ${opts.port} ${opts.proto} *` },
    { type: 'a', value: `accept-types:${opts.acceptTypes.join(' ')}` },
  );
  const wrapped = opts.acceptWrappedTypes ?? [];
  if (wrapped.length > 0) lines.push({ type: 'a', value: `accept-wrapped-types:${wrapped.join(' ')}` });
  if (opts.maxSize !== undefined) lines.push({ type: 'a', value: `max-size:${opts.maxSize}` });
  lines.push({ type: 'a', value: `path:${opts.path.join(' ')}` });
  if (opts.setup !== undefined) lines.push({ type: 'a', value: `setup:${opts.setup}` });
  if (opts.direction !== undefined) lines.push({ type: 'a', value: opts.direction });
  for (let i = at + 1; i < streams.length; i++) lines.push({ type: 'm', value: streams[i] });
  return formatLines(lines);
}

function addressType(address: string): AddressType {
  return address.includes(':') ? 'IP6' : 'IP4';
}

const NO_SPACE = /^[\x21-\x7e]+$/;

function checkBuildOptions(o: BuildMsrpSdpOptions): void {
  const fail = (what: string): never => {
    throw new RangeError(`buildMsrpSdp: ${what}`);
  };
  if (!NO_SPACE.test(o.origin.username)) fail('origin.username must be visible characters without spaces');
  if (!/^[0-9]+$/.test(String(o.origin.sessionId))) fail('origin.sessionId must be digits');
  if (!/^[0-9]+$/.test(String(o.origin.version))) fail('origin.version must be digits');
  if (!NO_SPACE.test(o.origin.address)) fail('origin.address must be an address without spaces');
  if (!NO_SPACE.test(o.address)) fail('address must be an address without spaces');
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) fail(`port ${o.port} out of range`);
  if (o.sessionName !== undefined && !/^[^\r\n\0]+$/.test(o.sessionName)) fail('sessionName must be one non-empty line');
  if (o.acceptTypes.length === 0) fail('acceptTypes is empty (RFC 4975 section 8.6 requires it)');
  for (const t of [...o.acceptTypes, ...(o.acceptWrappedTypes ?? [])]) {
    if (!isMediaTypeEntry(t)) fail(`"${t}" is not a media type entry`);
  }
  if (o.maxSize !== undefined && (!Number.isSafeInteger(o.maxSize) || o.maxSize < 0)) fail('maxSize must be a non-negative integer');
  const streams = o.streams ?? [];
  if (streams.length > 0 && !(Number.isInteger(o.streamIndex) && (o.streamIndex as number) >= 0 && (o.streamIndex as number) < streams.length)) {
    fail('streamIndex must name one of streams');
  }
  for (const m of streams) if (!/^[\x21-\x7e]+ 0 [\x21-\x7e]+( [\x21-\x7e]+)+$/.test(m)) fail(`"${m}" is not a rejected m= value`);
  if (o.path.length === 0) fail('path is empty');
  for (const uri of o.path) if (!isMsrpUri(uri)) fail(`"${uri}" is not an MSRP URI`);
  // RFC 4975 section 8.1 / 6: TCP/TLS/MSRP goes with an msrps: URI, TCP/MSRP with msrp:
  const ownScheme = o.path[o.path.length - 1].slice(0, 6).toLowerCase();
  if ((o.proto === 'TCP/TLS/MSRP') !== (ownScheme === 'msrps:')) fail(`proto ${o.proto} does not match our URI scheme`);
}
