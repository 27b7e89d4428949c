// The parse every received SIP message goes through, as pure functions: the patched library's
// lenient parse (datagram) or stream framer (TCP/TLS), then the strict check of
// src/sip/message/validate, then the typed message of convert.ts. The stack runs the same
// steps inside the library's transports; these entries exist so fuzz and torture tests can
// drive that pipeline without sockets (the only other importer of `sip` stays this folder).
import './without-ws'; // before 'sip': see there
import * as sip from 'sip';
import { validateSipMessage, type SipTransportKind, type ValidationFailure } from '../message/validate';
import type { SipMessage } from '../message/types';
import { fromRaw, toRaw } from './convert';
import { faithful } from './faithful';

export interface SipParseLimits {
  /** sip.maxBytesHeaders */
  readonly maxHeadBytes: number;
  /** sip.maxContentLength (streams only: a datagram's body is what arrived) */
  readonly maxBodyBytes: number;
}

export const DEFAULT_SIP_PARSE_LIMITS: SipParseLimits = { maxHeadBytes: 16384, maxBodyBytes: 1024 * 1024 };

/**
 * What the stack makes of one message: `ok` goes to the handlers; `rejected` is answered with
 * its status when it is a request with a usable Via (dropped when a response); `unparseable`
 * has no start line the library could read and is dropped.
 */
export type SipParseOutcome =
  | { readonly kind: 'ok'; readonly msg: SipMessage }
  | { readonly kind: 'rejected'; readonly status: number; readonly reason: string; readonly isResponse: boolean }
  | { readonly kind: 'unparseable' };

function judge(libRaw: sip.RawMessage, transport: SipTransportKind, limits: SipParseLimits): SipParseOutcome {
  const raw = faithful(libRaw);
  const verdict = validateSipMessage(raw.rawHead ?? '', raw.bodyLength ?? 0, { transport, maxHeadLength: limits.maxHeadBytes });
  const isResponse = raw.method === undefined;
  if (!verdict.ok) return rejected(verdict);
  if (raw.startLineError) return { kind: 'rejected', status: 400, reason: 'start line', isResponse };
  const headerError = raw.headerErrors?.[0];
  if (headerError !== undefined) return { kind: 'rejected', status: 400, reason: `Malformed header: ${headerError}`, isResponse };
  return { kind: 'ok', msg: fromRaw(raw) };
}

const rejected = (v: ValidationFailure): SipParseOutcome => ({ kind: 'rejected', status: v.status, reason: v.reason, isResponse: v.isResponse });

/** One UDP datagram (the library's parse, head cap included), judged as the stack judges it. */
export function parseSipDatagram(data: Buffer, limits: SipParseLimits = DEFAULT_SIP_PARSE_LIMITS): SipParseOutcome {
  const raw = sip.parse(data);
  if (raw === undefined) return { kind: 'unparseable' };
  return judge(raw, 'UDP', limits);
}

export interface SipStreamSink {
  onMessage(outcome: SipParseOutcome): void;
  /** Framing failed (head too large, Content-Length missing or bad, body too large): the connection closes. */
  onClose(reason: string, kind: string): void;
}

/** A TCP connection's framer: feed it the bytes as they arrive. Nothing is delivered after onClose. */
export function sipStreamParser(sink: SipStreamSink, limits: SipParseLimits = DEFAULT_SIP_PARSE_LIMITS): (chunk: Buffer) => void {
  let closed = false;
  const feed = sip.makeStreamParser(
    (raw) => {
      if (!closed) sink.onMessage(judge(raw, 'TCP', limits));
    },
    undefined,
    limits.maxHeadBytes,
    limits.maxBodyBytes,
    (reason, _m, _head, kind) => {
      closed = true;
      sink.onClose(reason, kind);
    },
  );
  return (chunk) => feed(chunk.toString('binary'));
}

/** The bytes the stack would send for `msg` (Content-Length from the body). */
export function formatSipMessage(msg: SipMessage): Buffer {
  return Buffer.from(sip.stringify(toRaw(msg)), 'binary');
}
