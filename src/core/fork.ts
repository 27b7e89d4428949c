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

/** What a branch's response callback may reach: the fork, until the branch's final response. */
interface BranchLink {
  fork: { readonly s: ForkOwner; readonly h: ForkHandlers; answered: boolean } | undefined;
}

/**
 * The branch's response callback, made here so that its closure holds the link and nothing
 * else of forkInvite's scope: the stack keeps it as long as the INVITE transaction lives, and
 * after a 2xx that is RFC 6026's Accepted state (64*T1 = 32 s). Cut at the final response, an
 * ended session is not held for those 32 s (issue 8: ~21 KB per set-up under a burst).
 */
function provisionalsTo(link: BranchLink): (rs: SipResponse) => void {
  return (rs) => {
    const f = link.fork;
    // ringing and progress reach the caller while it waits (a To tag of our own)
    if (f === undefined || rs.status <= 100 || rs.status >= 200 || f.answered || !f.s.waiting) return;
    try {
      f.h.onProvisional(rs);
    } catch (err) {
      f.h.onError(err);
    }
  };
}

export async function forkInvite(
  stack: SipStack,
  s: ForkOwner,
  bindings: readonly Binding[],
  branchFor: (b: Binding) => ForkBranch,
  h: ForkHandlers,
): Promise<void> {
  const fork = { s, h, answered: false };
  let pending = bindings.length;
  const failures: SipResponse[] = [];
  const forkOne = async (b: Binding): Promise<void> => {
    const branch = branchFor(b);
    const link: BranchLink = { fork };
    const call = stack.inviteCancelable(branch.request, { targets: branch.targets, onResponse: provisionalsTo(link) });
    s.cancels.push(call.cancel);
    const rs = await call.response;
    link.fork = undefined;
    pending--;
    if (rs.status >= 200 && rs.status < 300) {
      if (fork.answered || !s.waiting) return h.onLateAnswer(branch, rs);
      fork.answered = true;
      for (const c of s.cancels) if (c !== call.cancel) c();
      s.cancels = [];
      return h.onAnswered(branch, rs);
    }
    // a branch our stack could not reach (untagged 503) counts as 480 (forking.ts branchAnswer)
    failures.push(branchAnswer(rs));
    if (pending === 0 && !fork.answered && s.waiting) {
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
