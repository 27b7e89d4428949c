/**
 * Who opens the MSRP TCP connection of a stream, seen from imedge: RFC 6135 section 4 (a=setup,
 * with RFC 4145 section 4.1) and, for a peer that sends no a=setup, RFC 4975 section 5.4 (the
 * offerer connects). One function for both legs of every session; the README has its table.
 *
 *   'we'   imedge dials the first URI of the peer's a=path and sends the binding SEND;
 *   'peer' the peer dials imedge's path (imedge waits, bounded);
 *   'none' holdconn: nobody connects for now.
 */
import type { SetupRole } from './types';

export type Connector = 'we' | 'peer' | 'none';

/** imedge answered an offer: its answer's a=setup and who connects. */
export interface AnswerRole {
  /** What imedge writes in its answer; undefined keeps a pre-RFC 6135 offerer's model (no a=setup). */
  readonly attribute: SetupRole | undefined;
  readonly connects: Connector;
}

/**
 * imedge is the answerer. Offer actpass or active: imedge is passive (clients behind NAT dial
 * out to it); offer passive: imedge is active; offer holdconn: holdconn; no a=setup: the
 * offerer connects (RFC 4975 5.4), and imedge answers without a=setup as that peer expects.
 */
export function answererRole(offered: SetupRole | undefined, preferred: 'passive' | 'active' = 'passive'): AnswerRole {
  switch (offered) {
    case undefined:
      return { attribute: undefined, connects: 'peer' };
    case 'actpass':
      // RFC 4145 4.1: the answer to actpass is active or passive, the answerer's choice
      return { attribute: preferred, connects: preferred === 'active' ? 'we' : 'peer' };
    case 'active':
      return { attribute: 'passive', connects: 'peer' };
    case 'passive':
      return { attribute: 'active', connects: 'we' };
    case 'holdconn':
      return { attribute: 'holdconn', connects: 'none' };
  }
}

/**
 * imedge offered a=setup:actpass. Answer active: the peer dials imedge; passive: imedge dials;
 * no a=setup (an RFC 4975 endpoint): the offerer, imedge, dials; holdconn: nobody. An answer of
 * actpass is not allowed by RFC 4145 4.1; imedge then takes the RFC 4975 offerer's part and dials.
 */
export function offererConnects(answered: SetupRole | undefined): Connector {
  switch (answered) {
    case 'active':
      return 'peer';
    case 'holdconn':
      return 'none';
    default:
      return 'we';
  }
}
