import type { Logger } from '../../log';
import { encodeEndLine, encodeRequestHead } from '../wire';
import { MsrpConnectError, TransactionIds, type MsrpConnectFailure, type MsrpConnection, type MsrpNet, type MsrpSetup } from '../net';
import { assertedFrom, type ConferenceAddress, type SwitchIdentity } from './envelope';
import { Fanout } from './fanout';
import {
  newSwitchCounters,
  resolveSwitchOptions,
  type MsrpSwitchCounters,
  type MsrpSwitchOptions,
  type MsrpSwitchStats,
  type ResolvedSwitchOptions,
} from './options';
import { Leg, Participant, type ParticipantHooks } from './participant';
import { Reporter } from './reports';

export interface ParticipantSpec {
  /** The focus's name for the participant (unique in this switch). */
  readonly id: string;
  /** The participant's a=path (its own URI last); may come later (setRemotePath). */
  readonly remotePath?: readonly string[];
  /**
   * Our RFC 6135 role toward it. 'passive' (default): it connects to us and binds the session
   * with its first request, as in the relay. 'active': we connect (connect() or attach()).
   */
  readonly setup?: MsrpSetup;
  /** CPIM From of its messages: its identity as the focus asserts it, or 'anonymous'. */
  readonly identity: SwitchIdentity;
}

export type SwitchEvent =
  /** The participant's connection is bound: it receives from now on. */
  | { readonly type: 'bound'; readonly id: string }
  /** Its connection closed; it stays a participant (unbound) until the focus removes it. */
  | { readonly type: 'lost'; readonly id: string }
  /** Removed for slowness (its leg stayed congested slowReceiverMs): the focus BYEs it (7.2.1.9). */
  | { readonly type: 'removed-slow'; readonly id: string; readonly missed: number };

export interface MsrpSwitchDeps {
  readonly log?: Logger;
  readonly onEvent?: (event: SwitchEvent) => void;
}

const MAX_ID_LENGTH = 256;

/**
 * The MSRP switch of one group session (DESIGN "Controlling IM function"; OMA IM 7.2.1.5
 * "connect the MSRP switch", 7.2.1.9/7.2.1.10 "release MSRP resources").
 *
 * Every participant has its own MSRP session with the switch, on its own connection, whose
 * outbound ring is that participant's receiver leg. A message (a SEND, possibly in chunks)
 * from one participant is streamed to every other participant's leg, never back to the
 * sender, inside a CPIM envelope (RFC 3862) that says who sent it; the switch never holds a
 * message: body bytes go from the sender's socket read into each receiver's ring.
 *
 * Ordering: each chunk's copy enters a receiver's leg as one frame; a leg lets one frame
 * through at a time and holds the others back whole, in arrival order (Outbound), so chunks
 * of two senders never mix, and a sender's chunks reach each receiver in the order sent.
 * Chunks of different messages may alternate on a leg, as RFC 4975 5.1 allows (a long message
 * is interrupted for a short one); receivers reassemble by Message-ID, which the switch
 * assigns itself so that two senders' ids never collide at a receiver. When two receivers
 * share one connection (RFC 4975 5.4, a relay in front of both), their copies of a chunk go
 * as whole frames, one per piece received, since a leg carries one open frame at a time.
 *
 * Responses and reports (RFC 4975 7.1.2, 7.2):
 * - the sender gets a hop-by-hop 200 for a chunk once it was received whole and handed to
 *   every receiver leg (as the relay does); an error response when the switch refuses it;
 * - a receiver that answers a chunk with an error, does not answer within
 *   transactionTimeoutMs (408), loses its connection (481) or is removed for slowness (408)
 *   yields one failure REPORT to the sender per chunk it missed, when the sender asked for
 *   failure reports (Failure-Report yes, the default, or partial);
 * - success REPORTs: the switch is the sender's MSRP endpoint (the participant's session ends
 *   here), so RFC 4975 7.1.2 makes it the one to answer Success-Report: yes. It sends one
 *   success REPORT for the whole message once every receiver leg that got the message
 *   answered 200 for every chunk, and none when any of them failed or there was nobody to
 *   deliver to. Receivers' own REPORTs are about the switch's message ids; they are consumed
 *   and counted, never forwarded: N receivers' reports would flood the sender and name
 *   participants who may be anonymous. The copies ask receivers for no success report.
 *
 * Slow receivers (policy; DESIGN "one slow participant must never stall the others"):
 * - a receiver leg above its high watermark pauses reading from every other participant
 *   (any of them may feed it), so memory stays at one ring per leg plus one socket read per
 *   sender; under the low watermark they resume;
 * - a leg that stays congested for slowReceiverMs has its participant removed: its connection
 *   is closed at once (what it had not taken is dropped), the others resume, and event
 *   removed-slow tells the focus to BYE it (7.2.1.9). Every chunk copy it had not answered is
 *   reported to its sender as failed with 408. The others were stalled for at most
 *   slowReceiverMs, never longer.
 */
export class MsrpSwitch {
  readonly options: ResolvedSwitchOptions;
  /** Settable after construction: the focus is built after its switch. */
  onEvent: ((event: SwitchEvent) => void) | undefined;
  private readonly conference: ConferenceAddress;
  private readonly participants = new Map<string, Participant>();
  private readonly legs = new Map<MsrpConnection, Leg>();
  private readonly counts: MsrpSwitchCounters = newSwitchCounters();
  private readonly tids = new TransactionIds();
  private readonly messageIds = new TransactionIds();
  private readonly fanout: Fanout;
  private ringPeak = 0;
  private closed = false;
  private readonly hooks: ParticipantHooks = {
    onHead: (p, head, fields) => this.fanout.onHead(p, head, fields),
    onBody: (p, chunk) => this.fanout.onBody(p, chunk),
    onEnd: (p, flag, broken) => this.fanout.onEnd(p, flag, broken),
    onBound: (p, conn) => this.onBound(p, conn),
    onDisconnected: (p, conn) => this.onDisconnected(p, conn),
    // a stranger's binding undone (MsrpSession): its leg left, nothing more goes to it
    onUnbound: (p, conn) => {
      this.leaveLeg(p, conn);
      p.learnedPath = undefined;
    },
    onHeld: () => void this.counts.framesHeld++,
    onHoldingOthers: (p) => {
      // a sender slowed by another receiver's congested leg is not at fault (attack finding F1)
      if (!this.pausedByCongestion(p)) this.fanout.cutHolding(p);
    },
  };

  constructor(
    readonly net: MsrpNet,
    options: MsrpSwitchOptions,
    private readonly deps: MsrpSwitchDeps = {},
  ) {
    this.options = resolveSwitchOptions(options, net.options.transactionTimeoutMs);
    assertedFrom(this.options.conference);
    this.conference = { address: this.options.conference, aliases: this.options.conferenceAliases };
    this.onEvent = deps.onEvent;
    this.fanout = new Fanout({
      options: this.options,
      conference: this.conference,
      counts: this.counts,
      netCounters: net.counters,
      maxMessageSize: net.options.maxMessageSize,
      tids: this.tids,
      messageIds: this.messageIds,
      reporter: new Reporter(this.counts, this.tids),
      participants: () => this.participants.values(),
    });
  }

  // ---- the focus's API ------------------------------------------------------------------

  /**
   * Adds a participant and opens its session; returns the MSRP URI to offer it in a=path.
   * Throws RangeError for a duplicate or malformed id, an identity that cannot be written in
   * CPIM, a bad path, or beyond maxParticipants.
   */
  addParticipant(spec: ParticipantSpec): string {
    if (this.closed) throw new RangeError('MSRP switch closed');
    if (typeof spec.id !== 'string' || spec.id === '' || spec.id.length > MAX_ID_LENGTH) throw new RangeError('bad participant id');
    if (this.participants.has(spec.id)) throw new RangeError(`participant ${spec.id} exists`);
    if (this.participants.size >= this.options.maxParticipants) {
      throw new RangeError(`MSRP switch participant limit (${this.options.maxParticipants}) reached`);
    }
    const from = assertedFrom(spec.identity);
    const p = new Participant(spec.id, from, spec.identity === 'anonymous', this.hooks);
    p.session = this.net.openSession({ localUri: this.net.localUri(), remotePath: spec.remotePath, setup: spec.setup ?? 'passive', handler: p });
    this.participants.set(spec.id, p);
    return p.session.localUri;
  }

  /** The participant's a=path learnt later (the focus offered first). */
  setRemotePath(id: string, path: readonly string[]): boolean {
    const p = this.participants.get(id);
    if (p === undefined) return false;
    p.session.setRemotePath(path);
    return true;
  }

  /** Active side (RFC 6135): dials the first hop of the participant's path and binds. */
  async connect(id: string): Promise<void> {
    const p = this.activeParticipant(id);
    const path = p.session.remotePath;
    if (path === undefined) throw new Error(`participant ${id} has no MSRP path yet`);
    const conn = await this.net.dialUri(path[0]);
    await this.attach(id, conn);
  }

  /**
   * Active side on a connection dialled elsewhere (the relay's connect API, a shared
   * connection): attaches the session and binds it with an empty SEND (RFC 4975 5.4);
   * resolves once that was answered 200.
   */
  async attach(id: string, conn: MsrpConnection): Promise<void> {
    const p = this.activeParticipant(id);
    const path = p.session.remotePath;
    if (path === undefined) throw new Error(`participant ${id} has no MSRP path yet`);
    if (!this.net.attach(p.session, conn)) throw new Error(`cannot attach participant ${id} to its connection`);
    const tid = this.tids.next();
    const frame = Buffer.concat([
      encodeRequestHead({ transactionId: tid, method: 'SEND', toPath: path, fromPath: [p.session.localUri], messageId: this.messageIds.next() }),
      encodeEndLine(tid, '$', false),
    ]);
    const answer = conn.transactions.waitFor(tid);
    conn.sendControl(frame);
    const res = await answer;
    if (res.status !== 200) throw new Error(`participant ${id} refused the binding SEND with ${res.status}`);
  }

  /**
   * RFC 6135 / RFC 4975 5.4: the participant's SDP answer made the focus the side that dials
   * (it answered passive or without a=setup). Switches the unbound participant to active (from
   * now on only the connection dialled here binds it), dials the first hop of its path and
   * binds with an empty SEND. Resolves how it ended, never rejects: 'limit' when the net is at
   * its connection cap, 'released' when the participant went meanwhile.
   */
  async connectOut(id: string, timeoutMs: number): Promise<'connected' | 'released' | 'rejected' | MsrpConnectFailure> {
    const p = this.participants.get(id);
    if (p === undefined) return 'released';
    p.session.dropInboundBinding();
    if (p.session.connection !== undefined) return 'connected';
    const path = p.session.remotePath;
    if (path === undefined || path.length === 0) return 'rejected';
    p.session.setup = 'active';
    let conn: MsrpConnection;
    try {
      conn = await this.net.dialUri(path[0], { timeoutMs });
    } catch (err) {
      return err instanceof MsrpConnectError ? err.kind : 'refused';
    }
    if (this.participants.get(id) !== p) {
      conn.close();
      return 'released';
    }
    try {
      await this.attach(id, conn);
      return 'connected';
    } catch {
      conn.close();
      return this.participants.get(id) === p ? 'rejected' : 'released';
    }
  }

  /**
   * Releases the participant's MSRP resources (7.2.1.9 after the BYE's 200, 7.2.1.10 on its
   * BYE). Frames being streamed to it are cut ('#'); what it has not answered is reported to
   * the senders as failed (481). Returns false for an unknown id.
   */
  removeParticipant(id: string): boolean {
    const p = this.participants.get(id);
    if (p === undefined) return false;
    this.detach(p);
    const conn = p.session.connection;
    // a congested leg would never flush to a participant that has left: drop it now
    if (conn !== undefined && !conn.closed && conn.out.congested) conn.close();
    this.net.closeSession(p.session);
    return true;
  }

  /** The participant's MSRP URIs: ours (offered in a=path) and its path, once known. */
  participantPath(id: string): { readonly localUri: string; readonly remotePath: readonly string[] } | undefined {
    const p = this.participants.get(id);
    if (p === undefined || p.session.remotePath === undefined) return undefined;
    return { localUri: p.session.localUri, remotePath: p.session.remotePath };
  }

  isBound(id: string): boolean {
    const c = this.participants.get(id)?.session.connection;
    return c !== undefined && !c.closed;
  }

  participantIds(): string[] {
    return [...this.participants.keys()];
  }

  get counters(): MsrpSwitchStats {
    let bound = 0;
    let open = 0;
    let congested = 0;
    let peak = this.ringPeak;
    for (const p of this.participants.values()) {
      if (p.session.connection !== undefined) bound++;
      open += p.open.size;
    }
    for (const leg of this.legs.values()) {
      if (leg.congested) congested++;
      peak = Math.max(peak, leg.conn.out.ring.highWater);
    }
    return {
      ...this.counts,
      participants: this.participants.size,
      boundParticipants: bound,
      openMessages: open,
      congestedLegs: congested,
      ringHighWater: peak,
      ringBytes: this.net.options.ringBytes,
    };
  }

  /** Removes every participant (the group session ended); the net stays up. */
  close(): void {
    this.closed = true;
    for (const id of [...this.participants.keys()]) this.removeParticipant(id);
  }

  private activeParticipant(id: string): Participant {
    const p = this.participants.get(id);
    if (p === undefined) throw new Error(`no participant ${id}`);
    if (p.session.setup !== 'active') throw new Error(`participant ${id} connects to us (setup passive)`);
    return p;
  }

  // ---- legs, congestion, removal --------------------------------------------------------

  private onBound(p: Participant, conn: MsrpConnection): void {
    let leg = this.legs.get(conn);
    if (leg === undefined) {
      const created: Leg = new Leg(conn, (congested) => this.onCongestion(created, congested));
      leg = created;
      conn.congestionListeners.add(leg.onCongestion);
      // a leg congested now is fed by this connection too from now on
      for (const other of this.legs.values()) {
        if (other.congested) {
          conn.pauseReading();
          other.paused.add(conn);
        }
      }
      this.legs.set(conn, leg);
      if (conn.out.congested) this.onCongestion(leg, true);
    }
    leg.owners.add(p);
    this.emit({ type: 'bound', id: p.id });
  }

  /** True while a congested receiver leg has paused the participant's connection. */
  private pausedByCongestion(p: Participant): boolean {
    const conn = p.session.connection;
    if (conn === undefined) return false;
    for (const leg of this.legs.values()) if (leg.congested && leg.paused.has(conn)) return true;
    return false;
  }

  private onDisconnected(p: Participant, conn: MsrpConnection): void {
    this.leaveLeg(p, conn);
    p.open.clear();
    p.clearHeld();
    if (!p.removed) this.emit({ type: 'lost', id: p.id });
  }

  /**
   * A receiver leg crossed its high watermark (true) or came back under the low one: pause
   * or resume every connection that may feed it, and arm or disarm its slowness timer.
   */
  private onCongestion(leg: Leg, congested: boolean): void {
    if (congested) {
      if (leg.congested || !this.legs.has(leg.conn)) return;
      leg.congested = true;
      this.counts.congestions++;
      for (const other of this.legs.values()) {
        // the leg's own connection feeds it only when it carries two participants
        if (other === leg && leg.owners.size < 2) continue;
        if (other.conn.closed || leg.paused.has(other.conn)) continue;
        other.conn.pauseReading();
        leg.paused.add(other.conn);
      }
      leg.timer = setTimeout(slowTimer, this.options.slowReceiverMs, this, leg).unref();
      return;
    }
    if (!leg.congested) return;
    leg.congested = false;
    clearTimeout(leg.timer);
    leg.timer = undefined;
    const paused = [...leg.paused];
    leg.paused.clear();
    for (const c of paused) c.resumeReading();
  }

  /** The slowness timer of a leg fired (called by slowTimer): remove its participants if still congested. */
  onSlowTimer(leg: Leg): void {
    leg.timer = undefined;
    if (!leg.congested || this.legs.get(leg.conn) !== leg) return;
    const owners = [...leg.owners];
    for (const p of owners) {
      p.slow = true;
      this.detach(p);
    }
    this.counts.removedSlow += owners.length;
    // closing drops what it had not taken, cancels its pending answers (reported as 408 above)
    // and lifts the congestion, which resumes everyone else
    leg.conn.close();
    for (const p of owners) {
      this.net.closeSession(p.session);
      this.deps.log?.warn({ participant: p.id, missed: p.missed, slowReceiverMs: this.options.slowReceiverMs }, 'MSRP switch removed a slow participant');
      this.emit({ type: 'removed-slow', id: p.id, missed: p.missed });
    }
  }

  /**
   * Takes a participant out of the switch: nothing more is sent to it or taken from it. Copies
   * being streamed to it are cut (its leg must end on a frame boundary), the frames it was
   * sending are aborted at their receivers, and its leg stops pausing anyone.
   */
  private detach(p: Participant): void {
    p.removed = true;
    this.participants.delete(p.id);
    for (const q of this.participants.values()) q.feeds.delete(p);
    this.fanout.cutReceiver(p);
    this.fanout.abortSender(p);
    p.open.clear();
    p.feeds.clear();
    p.clearHeld();
    const conn = p.session.connection;
    if (conn !== undefined) this.leaveLeg(p, conn);
  }

  private leaveLeg(p: Participant, conn: MsrpConnection): void {
    const leg = this.legs.get(conn);
    if (leg === undefined || !leg.owners.delete(p) || leg.owners.size > 0) return;
    this.ringPeak = Math.max(this.ringPeak, conn.out.ring.highWater);
    conn.congestionListeners.delete(leg.onCongestion);
    this.onCongestion(leg, false);
    clearTimeout(leg.timer);
    this.legs.delete(conn);
    for (const other of this.legs.values()) if (other.paused.delete(conn)) conn.resumeReading();
  }

  private emit(event: SwitchEvent): void {
    const listener = this.onEvent;
    if (listener === undefined) return;
    try {
      listener(event);
    } catch (err) {
      this.counts.listenerErrors++;
      this.deps.log?.warn({ err, event: event.type }, 'MSRP switch event listener failed');
    }
  }
}

/** Timer callback: the switch and leg ride as arguments (no closure per leg); a throw closes that leg only. */
function slowTimer(sw: MsrpSwitch, leg: Leg): void {
  try {
    sw.onSlowTimer(leg);
  } catch (err) {
    leg.conn.fail(err, 'switch: slow receiver timer');
  }
}
