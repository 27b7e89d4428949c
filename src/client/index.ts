/** The IM client library (SIP UA + MSRP endpoint) used by `imedge chat`, tests and benchmarks. */
export { ImClient, type ImClientOptions, type ImClientEvents, type IncomingInvite, type InviteOptions, type MessageResult, type PagerMessage } from './client';
export { ImSession, type EndReason, type ImSessionEvents, type InboundMessage, type SessionSendOptions } from './session';
export {
  ConferenceWatch,
  CONFERENCE_EVENT,
  DEFAULT_CONFERENCE_EXPIRES_S,
  type ConferenceWatchOptions,
  type ConferenceWatchEvents,
  type ConferenceWatchStats,
  type ConferenceEnded,
  type WatchState,
} from './conference';
export { applyInfo, diffRoster, isPresent, parseSubscriptionState, refreshDelayMs, rosterOf, type RosterEntry, type SubscriptionState, type Applied } from './conference-state';
export { RejoinStore, type RejoinEntry, type RejoinStoreOptions } from './rejoin-store';
export { SipStatusError, NoStoredSessionError, MediaError, AdhocGroupTooLargeError, warningText } from './errors';
export type { ServerAddress } from './sip-ua';
export { answerOffer, buildOffer, connectsAfterAnswer, readAnswer, type LocalMedia, type MediaAgreement } from './offer';
export { unwrapCpim, wrapCpim, type MessageSender, type CpimEnvelope, type Unwrapped } from './cpim';
export {
  DEFAULT_MAX_ADHOC_GROUP_SIZE,
  checkAdhocGroupSize,
  conferenceFactoryUri,
  factoryBody,
  invitedUsers,
  isFocusContact,
  userKey,
} from './group';
