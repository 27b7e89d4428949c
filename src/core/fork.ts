// Our INVITE to every registered contact of a user, in parallel (RFC 3261 16.7 applied by a
// B2BUA or a conference focus): the first 2xx is acted on at once, the other branches are cancelled, a late 2xx
// is ACKed and BYEd, and when every branch failed the best final response is chosen by the
// one function for it (src/sip/message/forking.ts).
import type { SipStack } from '../sip/stack';
import type { Flow, SipRequest, SipResponse } from '../sip/message/types';
import { bestFinalResponse, branchAnswer } from '../sip/message/forking';
import type { Binding } from '../store';

/** Who forks: a 1-1 session's callee leg, a focus inviting a member. */
export interface ForkOwner {
  /** still waiting for the answer (nothing answered it, not released) */
  readonly waiting: boolean;
  /** cancel functions of the branches still ringing */
  cancels: (() => void)[];
}

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
  s: ForkOwner,
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
        if (rs.status > 100 && rs.status < 200 && !answered && s.waiting) {
          try {
            h.onProvisional(rs);
          } catch (err) {
            h.onError(err);
          }
        }
      },
    });
    s.cancels.push(call.cancel);
    const rs = await call.response;
    pending--;
    if (rs.status >= 200 && rs.status < 300) {
      if (answered || !s.waiting) return h.onLateAnswer(branch, rs);
      answered = true;
      for (const c of s.cancels) if (c !== call.cancel) c();
      s.cancels = [];
      return h.onAnswered(branch, rs);
    }
    // a branch our stack could not reach (untagged 503) counts as 480 (forking.ts branchAnswer)
    failures.push(branchAnswer(rs));
    if (pending === 0 && !answered && s.waiting) {
      s.cancels = [];
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
