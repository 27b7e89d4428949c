/** systemd readiness and software watchdog notification. */
export { SystemdNotifier } from './notifier';
export type { SystemdNotifierDeps, SystemdNotifierOptions, SystemdNotifierStats } from './notifier';
