// Boundary between sip@0.0.6's "binary" strings and our UTF-8 model (ECOSYSTEM fault 3):
// the library reads and writes one JS char per byte, so every string crossing this file is
// re-decoded as UTF-8 on the way in and re-encoded to bytes on the way out, and bodies
// become Buffers. Content-Length is then the byte length, whatever the language.
import './without-ws'; // before 'sip': see there
import { stringifyUri, type RawMessage, type RawUri } from 'sip';
import type { SipHeaders, SipRequest, SipResponse, SipMessage } from '../message/types';
import { isRequest } from '../message/types';
import { mapStringsDeep } from '../../util/detach';

const fromBinary = (s: string): string => {
  // Fast path: pure ASCII needs no re-decoding.
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, 'latin1').toString('utf8');
  return s;
};

const toBinary = (s: string): string => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, 'utf8').toString('latin1');
  return s;
};

const mapStrings = (v: unknown, f: (s: string) => string): unknown => mapStringsDeep(v, f, 6);

function uriText(u: string | RawUri | undefined): string {
  return typeof u === 'string' ? u : u === undefined ? '' : stringifyUri(u);
}

/** Raw library message -> typed message. Route-like headers carry string URIs. */
export function fromRaw(m: RawMessage): SipMessage {
  const headers = mapStrings(m.headers, fromBinary) as SipHeaders;
  for (const h of ['route', 'record-route', 'path'] as const) {
    const list = headers[h];
    if (Array.isArray(list)) headers[h] = list.map((na) => ({ ...na, uri: uriText(na.uri as string | RawUri) }));
  }
  const body = Buffer.from(m.content ?? '', 'latin1');
  if (m.method !== undefined) {
    const rq: SipRequest = {
      method: m.method,
      uri: fromBinary(uriText(m.uri)),
      version: m.version,
      headers,
      body,
    };
    return rq;
  }
  const rs: SipResponse = {
    status: m.status ?? 0,
    reason: fromBinary(m.reason ?? ''),
    version: m.version,
    headers,
    body,
  };
  return rs;
}

/** Typed message -> raw library message (bytes as binary strings). */
export function toRaw(m: SipMessage): RawMessage {
  const headers = mapStrings(m.headers, toBinary) as Record<string, unknown>;
  // The library computes Content-Length from the content string length, which is the byte
  // count once the body is a binary string.
  delete headers['content-length'];
  const content = m.body.length ? m.body.toString('latin1') : '';
  if (isRequest(m)) {
    return { method: m.method, uri: toBinary(m.uri), version: m.version, headers, content };
  }
  return { status: m.status, reason: toBinary(m.reason), version: m.version, headers, content };
}
