/** Pure group-session decisions (OMA IM 7.2.1.5, 7.2.2.3, 7.2.2.8, 7.1.1.6 step 5): snapshot in, decision out; no I/O, no clock. */
export type {
  GroupView,
  ParticipantView,
  PolicyRuleView,
  RuleActionsView,
  RuleConditionView,
  IdentityExceptView,
  ReleaseOverridesView,
  SessionKind,
  JoinHandling,
} from './types';
export { addressKey, sameAddress, domainOf, distinctAddresses } from './address';
export { permissionsFor, isListMember, type Permissions } from './common-policy';
export { decideJoin, type JoinDecision, type JoinRequest, type JoinSnapshot, type JoinTarget } from './join';
export { decideInitiation, type InitiationDecision } from './initiation';
export {
  decideRelease,
  effectiveRelease,
  releaseDeadline,
  type ReleaseConfig,
  type EffectiveRelease,
  type ReleaseDecision,
  type ReleaseEvent,
  type ReleaseRule,
  type ReleaseSnapshot,
} from './release';
export { checkAdhocSize, type AdhocSizeDecision } from './adhoc';
export { SipRefusal, refuse, warningHeaderValue, WARN_MISC, type SipWarning } from '../../util/sip-refusal';
