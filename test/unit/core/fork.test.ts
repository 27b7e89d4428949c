// forkInvite (RFC 3261 16.7 applied by the B2BUA and the focus): what a branch's response
// callback can still reach once its final response came. The stack keeps that callback as long
// as the INVITE client transaction lives, which after a 2xx is RFC 6026's Accepted state (32 s):
// it must not hold the session (issue 8: every ended session stayed in memory for 32 s).
import { forkInvite, type ForkHandlers, type ForkOwner } from '../../../src/core/fork';
import type { SipStack } from '../../../src/sip/stack';
import type { SipRequest, SipResponse } from '../../../src/sip/message/types';
import type { Binding } from '../../../src/store';

const response = (status: number): SipResponse => ({ status, reason: 'x', headers: {} as SipResponse['headers'], body: Buffer.alloc(0) });

test('RFC 3261 16.7 / RFC 6026: provisionals reach the session until the final response, and nothing through that branch afterwards', async () => {
  const callbacks: ((rs: SipResponse) => void)[] = [];
  let answer!: (rs: SipResponse) => void;
  const stack = {
    inviteCancelable: (_rq: SipRequest, opts: { onResponse?: (rs: SipResponse) => void }) => {
      callbacks.push(opts.onResponse as (rs: SipResponse) => void);
      return { response: new Promise<SipResponse>((r) => (answer = r)), cancel: () => undefined };
    },
  } as unknown as SipStack;
  const owner: ForkOwner = { waiting: true, cancels: [] };
  const seen: number[] = [];
  const handlers: ForkHandlers = {
    onProvisional: (rs) => seen.push(rs.status),
    onAnswered: () => seen.push(200),
    onLateAnswer: () => seen.push(-1),
    onAllFailed: () => seen.push(-2),
    onError: (err) => {
      throw err;
    },
  };
  const done = forkInvite(stack, owner, [{ contact: 'sip:b@h' } as Binding], () => ({ request: {} as SipRequest, targets: [] }), handlers);
  callbacks[0](response(180));
  expect(seen).toEqual([180]);
  // the branch fails: nothing answered, the owner still waiting (a held link would relay a stray 1xx)
  answer(response(486));
  await done;
  expect(seen).toEqual([180, -2]);
  // the transaction still holds the callback (retransmissions, a stray 1xx): it reaches nothing
  callbacks[0](response(183));
  callbacks[0](response(200));
  expect(seen).toEqual([180, -2]);
});
