/** The conference event package of group sessions (RFC 4575; OMA IM 7.2.2.10, 7.2.2.11). */
export { ConferenceEventPackage, EVENT_PACKAGE } from './package';
export { anonymousEntity, fullState } from './state';
export { IDENTITY_PREFIX, focusContact } from './types';
export type { ConferenceView, EventsDeps, EventsOptions, EventsStats, StateUser, WatcherRight } from './types';
