import { msrpUriEquals, parseMsrpUri, parsePath, type MsrpFields, type MsrpFlag, type MsrpRequestHead, type MsrpUri } from '../wire';
import type { MsrpConnection } from './connection';
import { detached } from '../../util/detach';

/**
 * RFC 6135 a=setup as seen from this side: 'passive' waits for the peer to connect and bind
 * the session by sending first; 'active' dials out and is attached to its connection.
 */
export type MsrpSetup = 'active' | 'passive';

/** Receives the requests addressed to one session, streamed, in wire order. */
export interface MsrpSessionHandler {
  /** A request for this session passed every check (paths, binding, method SEND/REPORT). */
  onRequestHead(session: MsrpSession, head: MsrpRequestHead, fields: MsrpFields): void;
  /** Body bytes of that request: a view of the socket read, valid only during the call. */
  onRequestBody(session: MsrpSession, chunk: Buffer): void;
  /**
   * End-line flag; '#' also when the frame broke off (parse error or connection lost): then
   * `broken` is true and the request is not to be answered. A '#' read from an end-line
   * (`broken` false) is the sender aborting the chunk (RFC 4975 7.1): still a transaction.
   */
  onRequestEnd(session: MsrpSession, flag: MsrpFlag, broken: boolean): void;
  onBound?(session: MsrpSession, connection: MsrpConnection): void;
  /**
   * A binding the net undid because it was not the peer's (dropStrangerBinding): the session
   * is free again, the peer binds it; unlike onDisconnected, not a leg going down.
   */
  onUnbound?(session: MsrpSession, connection: MsrpConnection): void;
  onDisconnected?(session: MsrpSession, connection: MsrpConnection): void;
}

export interface MsrpSessionSpec {
  /** Our URI for this session, as offered in a=path; its session-id identifies the session. */
  readonly localUri: string;
  /** The peer's a=path when known: the last URI of a received From-Path must equal its last URI. */
  readonly remotePath?: readonly string[];
  readonly setup?: MsrpSetup;
  readonly handler: MsrpSessionHandler;
}

export class MsrpSession {
  readonly id: string;
  readonly local: MsrpUri;
  readonly localUri: string;
  remote: readonly MsrpUri[] | undefined;
  /** The peer path as written in our To-Path headers (set late when the SDP answer brings it). */
  remotePath: readonly string[] | undefined;
  /**
   * Changes only while the session is unbound: a B2BUA offers actpass and learns from the
   * answer whether it dials (active) or waits (passive).
   */
  setup: MsrpSetup;
  readonly handler: MsrpSessionHandler;
  connection: MsrpConnection | undefined;
  /**
   * The sender (last From-Path URI) of the request that bound this session while its peer
   * path was still unknown (a callee's connection can beat its SDP answer): checked against
   * that path once setRemotePath learns it (bindingMatchesRemote).
   */
  boundFrom: MsrpUri | undefined;
  closed = false;

  constructor(spec: MsrpSessionSpec) {
    const local = parseMsrpUri(spec.localUri);
    if (local === undefined || local.sessionId === undefined) {
      throw new RangeError(`local MSRP URI needs a session-id: ${spec.localUri}`);
    }
    this.local = local;
    this.id = local.sessionId;
    this.localUri = spec.localUri;
    if (spec.remotePath !== undefined) {
      // copied out of the SDP text they were cut from, which a held session would keep alive
      const path = spec.remotePath.map(detached);
      const remote = parsePath(path.join(' '));
      if (remote === undefined) throw new RangeError(`bad remote MSRP path: ${path.join(' ')}`);
      this.remote = remote;
      this.remotePath = path;
    }
    this.setup = spec.setup ?? 'passive';
    this.handler = spec.handler;
  }

  /**
   * Learns the peer's a=path after the session opened (a B2BUA offers before it is answered).
   * RFC 4975 7.3 applied late: a binding made before, by a sender this path does not name
   * (another fork's device, a guessed URI), is undone so the peer binds from its connection.
   */
  setRemotePath(given: readonly string[]): void {
    const path = given.map(detached);
    const remote = parsePath(path.join(' '));
    if (remote === undefined) throw new RangeError(`bad remote MSRP path: ${path.join(' ')}`);
    this.remote = remote;
    this.remotePath = path;
    const from = this.boundFrom;
    if (from !== undefined && !msrpUriEquals(from, remote[remote.length - 1])) this.dropStrangerBinding();
  }

  /**
   * RFC 6135: once the answer makes this side the active one (the peer is passive and never
   * connects), a connection that dialled in and bound the session before is not the peer's,
   * whatever From-Path it gave: undone, so the session can dial.
   */
  dropInboundBinding(): void {
    if (this.connection?.direction === 'in') this.dropStrangerBinding();
  }

  private dropStrangerBinding(): void {
    this.connection?.unbindStranger(this);
  }
}
