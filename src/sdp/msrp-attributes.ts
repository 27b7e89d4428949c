/** The MSRP media attributes of RFC 4975 section 8, a=setup (RFC 6135) and direction (RFC 3264). */
import { SdpError, excerpt } from './errors';
// One MSRP URI grammar for the whole server: the relay parses every a=path with this same pure
// function, so the SDP layer accepts exactly the paths the MSRP layer can use (issue 16 item 3).
import { parseMsrpUri } from '../msrp/wire/uri';
import type { Direction, SetupRole } from './types';

const T = "[A-Za-z0-9!#$%&'*+\\-.^_`{|}~]+";
// RFC 4975 section 9: format-entry = "*" / type "/" subtype / type "/" "*", here with optional
// ;name=value parameters (no spaces: the list is space separated)
const MEDIA_TYPE_ENTRY = new RegExp(`^(?:\\*|${T}/\\*|${T}/${T}(?:;${T}=(?:${T}|"[^"\\s]*"))*)$`);
const SETUP_ROLES: readonly SetupRole[] = ['active', 'passive', 'actpass', 'holdconn'];
export const DIRECTIONS: readonly Direction[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

/** True for one MSRP URI the MSRP layer can use (RFC 4975 section 9, via its parser). */
export function isMsrpUri(text: string): boolean {
  return parseMsrpUri(text) !== undefined;
}

/** True for "*", "type/*" or "type/subtype[;params]" (RFC 4975 section 9 format-entry). */
export function isMediaTypeEntry(text: string): boolean {
  return MEDIA_TYPE_ENTRY.test(text);
}

/** An a= line being interpreted, with where it came from for error messages. */
export interface LocatedAttribute {
  readonly name: string;
  readonly value: string | undefined;
  readonly lineNo: number;
}

export interface MsrpAttributes {
  acceptTypes: string[];
  acceptWrappedTypes: string[];
  maxSize: number | undefined;
  path: string[];
  setup: SetupRole | undefined;
  direction: Direction | undefined;
  fileSelector: string | undefined;
}

/** Reads the attributes of one level (session or media); rejects duplicates of single-valued ones. */
export function readMsrpAttributes(attrs: readonly LocatedAttribute[]): MsrpAttributes {
  const out: MsrpAttributes = {
    acceptTypes: [],
    acceptWrappedTypes: [],
    maxSize: undefined,
    path: [],
    setup: undefined,
    direction: undefined,
    fileSelector: undefined,
  };
  const seen = new Set<string>();
  const once = (a: LocatedAttribute, key: string, label = `a=${key}`): void => {
    if (seen.has(key)) throw badAttr(a, `more than one ${label}`);
    seen.add(key);
  };
  for (const a of attrs) {
    if ((DIRECTIONS as readonly string[]).includes(a.name)) {
      // RFC 3264 section 5.1: a direction attribute is a property, one per level
      if (a.value !== undefined) throw badAttr(a, `a=${a.name} takes no value`);
      once(a, 'direction', 'direction attribute');
      out.direction = a.name as Direction;
      continue;
    }
    switch (a.name) {
      case 'accept-types':
        once(a, a.name);
        out.acceptTypes = mediaTypeList(a); // RFC 4975 section 8.6
        break;
      case 'accept-wrapped-types':
        once(a, a.name);
        out.acceptWrappedTypes = mediaTypeList(a); // RFC 4975 section 8.6
        break;
      case 'max-size':
        once(a, a.name);
        out.maxSize = maxSize(a); // RFC 4975 section 8.7
        break;
      case 'path':
        once(a, a.name);
        out.path = path(a); // RFC 4975 section 8.2
        break;
      case 'setup':
        once(a, a.name);
        out.setup = setup(a); // RFC 4145 section 4, RFC 6135 section 4
        break;
      case 'file-selector':
        once(a, a.name);
        out.fileSelector = a.value ?? ''; // RFC 5547 section 6: kept as received
        break;
      default:
        break;
    }
  }
  return out;
}

function listItems(a: LocatedAttribute): string[] {
  const items = (a.value ?? '').split(' ').filter((s) => s !== '');
  if (items.length === 0) throw badAttr(a, `a=${a.name} is empty`);
  return items;
}

function mediaTypeList(a: LocatedAttribute): string[] {
  const items = listItems(a);
  const badItem = items.find((i) => !isMediaTypeEntry(i));
  if (badItem !== undefined) throw badAttr(a, `a=${a.name} entry "${excerpt(badItem)}" is not a media type`);
  return items;
}

function path(a: LocatedAttribute): string[] {
  const items = listItems(a);
  const badItem = items.find((i) => !isMsrpUri(i));
  if (badItem !== undefined) throw badAttr(a, `a=path entry "${excerpt(badItem)}" is not an MSRP URI`);
  return items;
}

function maxSize(a: LocatedAttribute): number {
  // RFC 4975 section 9: max-size-value = 1*(DIGIT)
  const v = a.value ?? '';
  if (!/^[0-9]+$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw badAttr(a, `a=max-size "${excerpt(v)}" is not a number`);
  }
  return Number(v);
}

function setup(a: LocatedAttribute): SetupRole {
  const v = a.value ?? '';
  if (!(SETUP_ROLES as readonly string[]).includes(v)) throw badAttr(a, `a=setup "${excerpt(v)}" is not a setup role`);
  return v as SetupRole;
}

function badAttr(a: LocatedAttribute, reason: string): SdpError {
  return new SdpError('SDP_BAD_ATTRIBUTE', reason, a.lineNo);
}
