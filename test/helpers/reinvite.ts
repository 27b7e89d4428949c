// A callee that holds re-INVITEs at 100 Trying (shared by the re-INVITE tests of 1-1 sessions).
import type { RawUa } from './raw-ua';
import { header, type SipPeer, type WireMessage } from './sip-peer';

/** The top Via branch of a message (or of raw request text). */
export const branchOf = (m: WireMessage | string): string | undefined =>
  /;branch=([^;,\s]+)/.exec(typeof m === 'string' ? m : header(m, 'via') ?? '')?.[1];

/**
 * The callee answers every re-INVITE with 100 Trying only; a CANCEL gets 200 and, when
 * `polite`, the re-INVITE its 487 (RFC 3261 9.2). Everything else as RawUa does, again after restore().
 */
export function holdWithTrying(bob: RawUa, polite: boolean): { reinvites: WireMessage[]; cancels: WireMessage[]; restore(): void } {
  const reinvites: WireMessage[] = [];
  const cancels: WireMessage[] = [];
  const orig = bob.peer.onRequest;
  bob.peer.onRequest = (m: WireMessage, p: SipPeer) => {
    if (m.method === 'INVITE' && /;tag=/.test(header(m, 'to') ?? '')) {
      if (!reinvites.some((r) => branchOf(r) === branchOf(m))) reinvites.push(m);
      p.answer(m, 100, 'Trying');
      return;
    }
    if (m.method === 'CANCEL') {
      cancels.push(m);
      p.answer(m, 200);
      const inv = reinvites.find((r) => branchOf(r) === branchOf(m));
      if (polite && inv) p.answer(inv, 487, 'Request Terminated');
      return;
    }
    orig(m, p);
  };
  return { reinvites, cancels, restore: () => (bob.peer.onRequest = orig) };
}
