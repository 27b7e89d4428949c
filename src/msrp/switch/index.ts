/** MSRP switch of a group session (conference focus): fan-out in CPIM, per-leg rings, slow-receiver policy. */
export { MsrpSwitch, type MsrpSwitchDeps, type ParticipantSpec, type SwitchEvent } from './switch';
export {
  DEFAULT_SWITCH_LIMITS,
  type MsrpSwitchCounters,
  type MsrpSwitchOptions,
  type MsrpSwitchStats,
} from './options';
export { ANONYMOUS_FROM, namesConference, rewriteHeaders, wrapPrefix, type ConferenceAddress, type SwitchIdentity } from './envelope';
