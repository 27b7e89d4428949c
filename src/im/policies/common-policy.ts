/**
 * The group's authorization rules (RFC 4745 common policy with the OMA group conditions and
 * actions) evaluated for one requester: which rules match, and the permissions they grant.
 */
import { addressKey, domainOf, sameAddress } from './address';
import type { GroupView, JoinHandling, RuleConditionView } from './types';

export interface Permissions {
  /** 'block' unless a matching rule allows */
  readonly joinHandling: JoinHandling;
  readonly allowAnonymity: boolean;
  readonly allowInitiateConference: boolean;
  readonly allowConferenceState: boolean;
  /** ids of the rules that matched, in document order (for logs) */
  readonly matchedRules: readonly string[];
}

export function isListMember(group: GroupView, address: string): boolean {
  const key = addressKey(address);
  return group.entries.some((e) => addressKey(e.uri) === key);
}

function conditionHolds(group: GroupView, requester: string, c: RuleConditionView): boolean {
  switch (c.kind) {
    case 'is-list-member':
      return isListMember(group, requester);
    case 'identity': {
      // RFC 4745 7.1: <one> names one identity; <many> any (in a domain), minus <except>.
      if (c.one.some((id) => sameAddress(id, requester))) return true;
      const domain = domainOf(requester);
      return c.many.some(
        (m) =>
          (m.domain === undefined || (domain !== undefined && m.domain.toLowerCase() === domain)) &&
          !m.except.some((e) => ('id' in e ? sameAddress(e.id, requester) : domain !== undefined && e.domain.toLowerCase() === domain)),
      );
    }
    case 'unsupported':
      // RFC 4745 section 7: a condition that is not understood evaluates to FALSE.
      return false;
  }
}

/**
 * RFC 4745 section 10: a rule matches when all its conditions hold (no condition: always);
 * the permissions of all matching rules combine to the most permissive value of each action
 * (booleans: true wins; join-handling: allow > block); no matching rule grants nothing.
 */
export function permissionsFor(group: GroupView, requester: string): Permissions {
  let join: JoinHandling = 'block';
  let anonymity = false;
  let initiate = false;
  let confState = false;
  const matched: string[] = [];
  for (const rule of group.rules) {
    if (!rule.conditions.every((c) => conditionHolds(group, requester, c))) continue;
    matched.push(rule.id);
    const a = rule.actions;
    if (a.joinHandling === 'allow') join = 'allow';
    anonymity ||= a.allowAnonymity === true;
    initiate ||= a.allowInitiateConference === true;
    confState ||= a.allowConferenceState === true;
  }
  return { joinHandling: join, allowAnonymity: anonymity, allowInitiateConference: initiate, allowConferenceState: confState, matchedRules: matched };
}
