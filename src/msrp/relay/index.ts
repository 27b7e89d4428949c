/** Back-to-back MSRP relay with per-leg byte rings (DESIGN "The ring-buffer MSRP relay"). */
export {
  MsrpRelay,
  type ConnectOutcome,
  type MsrpRelayCounters,
  type MsrpRelayDeps,
  type MsrpRelayOptions,
  type MsrpRelayStats,
  type RelayPairInfo,
  type RelayPairSpec,
} from './relay';
