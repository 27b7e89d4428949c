/** Host health: sampling, named checks, pressure. Only user of systeminformation. */
export { HealthMonitor } from './monitor';
export type { HealthMonitorDeps, HealthMonitorOptions } from './monitor';
export { HealthChecks } from './checks';
export type { CheckReport, CheckResult, HealthCheck, HealthReport } from './checks';
export { HealthSampler, MIN_SLOW_INTERVAL_MS } from './sampler';
export type { HealthSample, HealthSamplerDeps, HealthSamplerOptions } from './sampler';
export { evaluatePressure, NO_PRESSURE, PressureTracker } from './pressure';
export type { PressureReason, PressureState, PressureThresholds } from './pressure';
export { eventLoopCheck, memoryCheck } from './builtin-checks';
export type { HealthLimits } from './builtin-checks';
export { DEFAULT_HOST_PATHS } from './probes';
export type { HostPaths } from './probes';
export { createLoopLagSource } from './loop-lag';
export type { LoopLagSource } from './loop-lag';
export { createSystemInfoSource } from './system-info';
export type { SlowSample, SystemInfoSource } from './system-info';
export type { HealthVerdict, HealthVerdictFn, DeviceLogger } from '../logger';
