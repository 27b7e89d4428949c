// What the participating function is built with (from the composition root) and what it counts.
import type { Logger } from '../../log';
import type { SipStack, SipTimers } from '../../sip/stack';
import type { SessionRepository } from '../../store';
import type { MsrpRelay } from '../../msrp/relay';
import type { AuthGate } from '../../core/auth/gate';
import type { Registrar } from '../../core/registrar';
import type { MsrpListen } from './media';
import type { GroupedWrite } from './persistence';

export interface ParticipatingOptions {
  /** Host and port written in our Contact headers. */
  sipHost: string;
  sipPort: number;
  /** The SIP over TLS port: the Contact of a dialog whose flow is TLS (sips:); absent without TLS. */
  sipTlsPort?: number;
  msrp: MsrpListen;
  maxSessions: number;
  maxSessionsPerUser: number;
  /** Early sessions one source address may have at once (sessions.maxPendingPerSource). */
  maxPendingPerSource: number;
  retryAfterS: number;
  /** A client that connects to imedge must have done so this long after it was answered. */
  msrpConnectTimeoutMs: number;
  /**
   * An MSRP connection imedge opens (to a peer that is passive, RFC 6135, or has no a=setup,
   * RFC 4975 5.4) must connect and have its binding SEND answered within this long
   * (msrp.connectTimeoutMs; default msrpConnectTimeoutMs).
   */
  msrpDialTimeoutMs?: number;
  /** A large-message session (9.1.1) is released after this long whatever happens. */
  largeMessageMaxMs: number;
  /**
   * A session still early this long after the caller's INVITE is released: the caller gets
   * 408 (as a proxy's Timer C, RFC 3261 16.8), the callee a CANCEL or a BYE.
   */
  setupTimeoutMs: number;
  /** T1/T2 for resending our 2xx to the caller until its ACK (sip.t1Ms, sip.t2Ms). */
  sipTimers?: SipTimers;
}

/** Failures the participating function met and survived, for logs, metrics and tests. */
export interface ParticipatingStats {
  /** A session set-up step threw: the session was released (caller 500, callee BYE/CANCEL). */
  setupFailures: number;
  /** Sessions still early when setupTimeoutMs ran out. */
  setupTimeouts: number;
  /** Relayed re-INVITEs with no final answer within setupTimeoutMs: CANCELed, the client got 408. */
  reinviteTimeouts: number;
  /** 2xx answers that arrived for a released session (ACKed, written nowhere). */
  lateAnswers: number;
  /** A fire-and-forget promise (BYE, MSRP wait, handler) rejected. */
  asyncErrors: number;
  /** A release step threw; the other steps still ran. */
  releaseErrors: number;
  /** New sessions refused at a limit (box, MSRP connections, per user). */
  admissionRefusals: number;
  /** MSRP connections imedge had to open (RFC 6135 active side) that failed. */
  dialFailures: number;
}

export function newStats(): ParticipatingStats {
  return { setupFailures: 0, setupTimeouts: 0, reinviteTimeouts: 0, lateAnswers: 0, asyncErrors: 0, releaseErrors: 0, admissionRefusals: 0, dialFailures: 0 };
}

export interface ParticipatingDeps {
  stack: () => SipStack;
  registrar: Registrar;
  auth: AuthGate;
  relay: MsrpRelay;
  sessions: SessionRepository;
  /** Group commit of the store (Store.grouped); without it every write runs at once. */
  grouped?: GroupedWrite;
  log: Logger;
}
