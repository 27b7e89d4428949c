/**
 * The size of an ad-hoc group (OMA IM 7.1.1.6 step 5): the client checks its URI list against
 * MAX-ADHOC-GROUP-SIZE; the server holds the same line with the operator's value, so a client
 * that did not check gets a 403 that says why.
 */
import { refuse, type SipRefusal } from '../../util/sip-refusal';
import { addressKey } from './address';

export type AdhocSizeDecision =
  | { readonly allowed: true; readonly invitees: number }
  | { readonly allowed: false; readonly invitees: number; readonly refusal: SipRefusal };

/**
 * 7.1.1.6 step 5: "the number of Invited IM Users on the URI-list does not exceed the maximum
 * number of Participants allowed in an Ad-hoc IM Group Session as indicated in MAX-ADHOC-GROUP-SIZE".
 * Counted as the clause says: invited users on the list, each address once, the initiator not
 * counted (it is not invited, even if it lists itself).
 */
export function checkAdhocSize(uriList: readonly string[], initiator: string, maxAdhocGroupSize: number, host: string): AdhocSizeDecision {
  const self = addressKey(initiator);
  const invitees = new Set(uriList.map(addressKey).filter((k) => k !== self)).size;
  if (invitees <= maxAdhocGroupSize) return { allowed: true, invitees };
  return {
    allowed: false,
    invitees,
    refusal: refuse(403, 'Forbidden', 'OMA IM 7.1.1.6 step 5', {
      agent: host,
      text: `Too many invited users: ${invitees} listed, MAX-ADHOC-GROUP-SIZE is ${maxAdhocGroupSize}`,
    }),
  };
}
