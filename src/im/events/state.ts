// The RFC 4575 document of a group session as a given subscriber may see it (OMA IM 7.2.2.10):
// an anonymous participant is shown as anonymous, never by address.
import type { ConferenceInfo, InfoUser } from '../../xml';
import type { ConferenceView, StateUser } from './types';

/** A pseudonym per member: two anonymous participants stay two users, and neither is named. */
export function anonymousEntity(u: StateUser): string {
  return `sip:anonymous-${u.key.replace(/[^A-Za-z0-9]/g, '').slice(0, 16)}@anonymous.invalid`;
}

function infoUser(u: StateUser): InfoUser {
  const entity = u.anonymous ? anonymousEntity(u) : u.uri;
  return {
    entity,
    ...(u.anonymous ? { displayText: 'Anonymous' } : {}),
    roles: u.initiator ? ['participant', 'initiator'] : ['participant'],
    endpoint: { entity, status: u.status, joiningMethod: u.joining },
  };
}

/** RFC 4575 5.1: the full state, version from the subscription (incremented per NOTIFY). */
export function fullState(view: ConferenceView, version: number, active = true): ConferenceInfo {
  const users = active ? view.users() : [];
  return {
    entity: view.identity,
    state: 'full',
    version,
    description: { ...(view.displayText !== undefined ? { displayText: view.displayText } : {}), ...(view.maxUserCount !== undefined ? { maxUserCount: view.maxUserCount } : {}) },
    conferenceState: { userCount: users.length, active },
    users: users.map(infoUser),
  };
}
