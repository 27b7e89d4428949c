/** Hardware watchdog feeding; the project's only user of serialport. */
export { Watchdog, WatchdogOpenError } from './watchdog';
export type {
  LastAnswer,
  WatchdogDeps,
  WatchdogOptions,
  WatchdogProtocol,
  WatchdogStartResult,
  WatchdogStats,
  WatchdogStopResult,
} from './watchdog';
export type { SerialBinding } from './serial-link';
export { AnswerWaiter, WaiterFullError } from './answer-waiter';
export type { AnswerMatcher } from './answer-waiter';
export { encodeArm, encodeDisarm, encodeHeartbeat, parseAnswer } from './line-protocol';
export type { McuAnswer } from './line-protocol';
