// Our INVITE to every registered contact of the callee, in parallel (RFC 3261 16.7 applied by
// a B2BUA): the first 2xx is acted on at once, the other branches are cancelled, a late 2xx
// is ACKed and BYEd, and when every branch failed the best final response is chosen by the
// one function for it (src/sip/message/forking.ts).
import type { SipStack } from '../../sip/stack';
import type { Flow, SipRequest, SipResponse } from '../../sip/message/types';
import { bestFinalResponse } from '../../sip/message/forking';
import type { Binding } from '../../store';
import type { B2bSession } from './session';

export interface ForkBranch {
  readonly request: SipRequest;
  readonly targets: Flow[];
}

export interface ForkHandlers {
  /** A 1xx above 100 from any branch while nothing answered finally. */
  onProvisional(rs: SipResponse): void;
  /** The first 2xx: the session goes on with this branch. */
  onAnswered(branch: ForkBranch, rs: SipResponse): void;
  /** A 2xx after another branch answered or the session left the early state. */
  onLateAnswer(branch: ForkBranch, rs: SipResponse): void;
  /** Every branch failed; `best` is the response to relay (undefined: none came). */
  onAllFailed(best: SipResponse | undefined): void;
  /** A branch threw: the set-up boundary releases the session. */
  onError(err: unknown): void;
}

export async function forkInvite(
  stack: SipStack,
  s: B2bSession,
  bindings: readonly Binding[],
  branchFor: (b: Binding) => ForkBranch,
  h: ForkHandlers,
): Promise<void> {
  let answered = false;
  let pending = bindings.length;
  const failures: SipResponse[] = [];
  const forkOne = async (b: Binding): Promise<void> => {
    const branch = branchFor(b);
    const call = stack.inviteCancelable(branch.request, {
      targets: branch.targets,
      onResponse: (rs) => {
        // ringing and progress reach the caller while it waits (a To tag of our own)
        if (rs.status > 100 && rs.status < 200 && !answered && s.state === 'early') {
          try {
            h.onProvisional(rs);
          } catch (err) {
            h.onError(err);
          }
        }
      },
    });
    s.cancelCallee.push(call.cancel);
    const rs = await call.response;
    pending--;
    if (rs.status >= 200 && rs.status < 300) {
      if (answered || s.state !== 'early') return h.onLateAnswer(branch, rs);
      answered = true;
      for (const c of s.cancelCallee) if (c !== call.cancel) c();
      s.cancelCallee = [];
      return h.onAnswered(branch, rs);
    }
    failures.push(rs);
    if (pending === 0 && !answered && s.state === 'early') {
      s.cancelCallee = [];
      h.onAllFailed(bestFinalResponse(failures));
    }
  };
  await Promise.all(
    bindings.map(async (b) => {
      try {
        await forkOne(b);
      } catch (err) {
        // one branch failing fails the set-up: the boundary releases the whole session
        h.onError(err);
      }
    }),
  );
}
