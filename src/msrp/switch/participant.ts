import {
  formatPath,
  type ByteRange,
  type CpimAddress,
  type FailureReport,
  type MsrpFields,
  type MsrpFlag,
  type MsrpRequestHead,
} from '../wire';
import type { MsrpConnection, MsrpSession, MsrpSessionHandler, OutboundProducer } from '../net';

/** What a participant calls back into its switch (one object per switch, shared). */
export interface ParticipantHooks {
  onHead(p: Participant, head: MsrpRequestHead, fields: MsrpFields): void;
  onBody(p: Participant, chunk: Buffer): void;
  /** `broken`: the frame broke off without an end-line (MsrpSessionHandler.onRequestEnd). */
  onEnd(p: Participant, flag: MsrpFlag, broken: boolean): void;
  onBound(p: Participant, conn: MsrpConnection): void;
  onUnbound(p: Participant, conn: MsrpConnection): void;
  onDisconnected(p: Participant, conn: MsrpConnection): void;
  onHeld(): void;
  onHoldingOthers(p: Participant): void;
}

/**
 * The fate of one message across its receivers (RFC 4975 7.1.2 reports). Shared by the
 * answer callbacks of every copy of every chunk; gone once they have all run.
 */
export interface Outcome {
  readonly sender: Participant;
  /** The sender's Message-ID (reports name it, not the switch's). */
  readonly messageId: string;
  /** The sender's From-Path as received: the To-Path of reports to it. */
  readonly fromPath: string;
  readonly successWanted: boolean;
  readonly total: number | null;
  received: number;
  /** Receiver answers still awaited. */
  outstanding: number;
  /** Receiver 200s so far. */
  confirmed: number;
  /** The last chunk ('$') or an abort ('#') was forwarded. */
  ended: boolean;
  /** Some receiver missed a chunk (or it was aborted): no success report. */
  failed: boolean;
  reported: boolean;
}

/** One chunk as the answer callbacks see it (what a failure REPORT about it needs). */
export interface ChunkFate {
  readonly outcome: Outcome;
  readonly byteRange: ByteRange | undefined;
  readonly failureReport: FailureReport | undefined;
  bytes: number;
  /** Receivers already reported as having missed this chunk (made at the first). */
  missedBy?: Set<Participant>;
}

/** A message half received from a sender: who gets its chunks and how its bytes shift. */
export interface OpenMessage {
  /** Message-ID toward receivers: the switch's own, so two senders' ids never collide at a receiver. */
  readonly id: string;
  /** Receivers fixed at the first chunk: a participant who joins later never gets a message's tail. */
  readonly receivers: readonly Receiver[];
  /** Two of the receivers were on one connection at the first chunk (RFC 4975 5.4). */
  readonly sharing: boolean;
  /** Receiver byte offset minus sender byte offset (the CPIM envelope's length, less what it replaced). */
  delta: number;
  readonly outcome: Outcome;
}

/** A receiver of a message as it was at the message's first chunk, with the sender's producer into its leg. */
export interface Receiver {
  readonly p: Participant;
  readonly conn: MsrpConnection;
  readonly feed: Feed;
}

/** One receiver's copy of the chunk being streamed. */
export interface Target {
  readonly p: Participant;
  readonly conn: MsrpConnection;
  readonly feed: Feed;
  /** Its answer can be waited for (Failure-Report left at yes); false: sent with Failure-Report: no. */
  readonly tracked: boolean;
  /**
   * Another receiver of this chunk shares its connection (RFC 4975 5.4): a leg takes one frame
   * at a time, so this copy goes as one whole frame per piece received, never left open.
   */
  readonly piecewise: boolean;
  /** Still receiving this chunk: its frame is open (or, piecewise, pieces still go to it). */
  open: boolean;
}

export const enum Mode {
  /** An empty SEND that binds the connection (RFC 4975 5.4): answered here. */
  Bind,
  /** Streaming to every target. */
  Forward,
  /** First chunk of a message/cpim body: holding its message headers until they end. */
  AwaitCpim,
  /** Refused or not for anyone: the rest is ignored. */
  Drop,
  /** A REPORT from a participant: consumed. */
  Absorb,
}

/** The request a participant is streaming to us now. */
export interface Chunk {
  readonly head: MsrpRequestHead;
  readonly fields: MsrpFields;
  mode: Mode;
  msg: OpenMessage | undefined;
  fate: ChunkFate | undefined;
  targets: Target[];
  /** Receivers' answers are wanted (failure or success reports may follow). */
  track: boolean;
  /** AwaitCpim: the CPIM header bytes so far (a copy, at most maxCpimHeaderBytes). */
  acc: Buffer | undefined;
  /** Receiver-side position of the next byte and the receivers' total (piecewise Byte-Ranges). */
  outPos: number;
  outTotal: number | null;
  /** Body bytes this chunk may carry before its message passes msrp.maxMessageSize. */
  room: number;
}

/**
 * A sender's frames into one receiver's leg. One producer per (sender, receiver): when two
 * receivers share a connection (RFC 4975 5.4), the copy for the second one waits there whole
 * behind the first instead of mixing with it.
 */
export class Feed implements OutboundProducer {
  constructor(readonly sender: Participant) {}

  onHeld(held: boolean): void {
    this.sender.setHeld(held);
  }

  /** The sender's open chunk kept other senders' copies waiting on this leg too long. */
  onHoldingOthers(): void {
    this.sender.holdingOthers();
  }
}

/**
 * One member of the group: its MSRP session with the switch (it is the session's handler), the
 * request it is sending now, its half-sent messages, and the To-Path/From-Path lines of the
 * frames it receives.
 */
export class Participant implements MsrpSessionHandler {
  session!: MsrpSession;
  /** Removed from the switch (by the focus or for slowness): nothing more goes to or from it. */
  removed = false;
  /** Removed because its leg stayed congested: what it misses is reported as 408. */
  slow = false;
  /** Chunk copies it missed (reported to their senders). */
  missed = 0;
  /** The From-Path it sends with, while its a=path is not known (the focus learns it later). */
  learnedPath: string | undefined;
  cur: Chunk | undefined;
  readonly open = new Map<string, OpenMessage>();
  readonly feeds = new Map<Participant, Feed>();
  private heldCount = 0;
  private heldConn: MsrpConnection | undefined;
  private linesFor: readonly string[] | string | undefined;
  private lines: Buffer | undefined;

  constructor(
    readonly id: string,
    readonly from: CpimAddress,
    readonly anonymous: boolean,
    private readonly hooks: ParticipantHooks,
  ) {}

  onRequestHead(_s: MsrpSession, head: MsrpRequestHead, fields: MsrpFields): void {
    this.hooks.onHead(this, head, fields);
  }

  onRequestBody(_s: MsrpSession, chunk: Buffer): void {
    this.hooks.onBody(this, chunk);
  }

  onRequestEnd(_s: MsrpSession, flag: MsrpFlag, broken: boolean): void {
    this.hooks.onEnd(this, flag, broken);
  }

  onBound(_s: MsrpSession, conn: MsrpConnection): void {
    this.hooks.onBound(this, conn);
  }

  onUnbound(_s: MsrpSession, conn: MsrpConnection): void {
    this.hooks.onUnbound(this, conn);
  }

  onDisconnected(_s: MsrpSession, conn: MsrpConnection): void {
    this.hooks.onDisconnected(this, conn);
  }

  /** To-Path and From-Path lines of frames to this participant, encoded once per path. */
  pathLines(): Buffer | undefined {
    const path = this.session.remotePath ?? this.learnedPath;
    if (path !== this.linesFor) {
      this.linesFor = path;
      this.lines =
        path === undefined
          ? undefined
          : Buffer.from(`To-Path: ${typeof path === 'string' ? path : formatPath(path)}\r\nFrom-Path: ${this.session.localUri}\r\n`, 'utf8');
    }
    return this.lines;
  }

  feedTo(receiver: Participant): Feed {
    let f = this.feeds.get(receiver);
    if (f === undefined) {
      f = new Feed(this);
      this.feeds.set(receiver, f);
    }
    return f;
  }

  /**
   * A receiver leg holds our frame back behind another sender's open one (shared connection):
   * stop reading us until every leg let our frames through (at most one read is held).
   */
  setHeld(held: boolean): void {
    if (held) {
      if (this.heldCount++ > 0) return;
      this.hooks.onHeld();
      const c = this.session.connection;
      if (c !== undefined && !c.closed) {
        this.heldConn = c;
        c.pauseReading();
      }
      return;
    }
    if (this.heldCount === 0 || --this.heldCount > 0) return;
    const c = this.heldConn;
    this.heldConn = undefined;
    c?.resumeReading();
  }

  holdingOthers(): void {
    this.hooks.onHoldingOthers(this);
  }

  /** Forgets held state (its connection is gone, or it left): releases the pause it caused. */
  clearHeld(): void {
    this.heldCount = 0;
    const c = this.heldConn;
    this.heldConn = undefined;
    c?.resumeReading();
  }
}

/**
 * A participant connection as a receiver leg: its congestion pauses the connections that feed
 * it, and a congestion that lasts slowReceiverMs removes its participants.
 */
export class Leg {
  readonly owners = new Set<Participant>();
  congested = false;
  /** Connections this leg's congestion paused, resumed exactly once when it clears. */
  readonly paused = new Set<MsrpConnection>();
  timer: NodeJS.Timeout | undefined;

  constructor(
    readonly conn: MsrpConnection,
    readonly onCongestion: (congested: boolean) => void,
  ) {}
}
