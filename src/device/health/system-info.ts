/**
 * The project's only use of systeminformation. Only parameter-free calls
 * (no request data can ever reach its shell commands), and only those that
 * measured cheap here: mem() reads /proc (0 processes, 0.3 ms) and
 * currentLoad() averages /proc/stat since its previous call (0 processes
 * after the first call, which spawns 2 and takes 0.5 s). Called on a slow
 * timer (>= 30 s) by the sampler, never per request.
 */
import * as si from 'systeminformation';

export interface SlowSample {
  /** CPU busy percentage averaged since the previous slow sample. */
  cpuLoadPercent: number | null;
  swapUsedBytes: number | null;
}

export interface SystemInfoSource {
  slowSample(): Promise<SlowSample>;
}

export function createSystemInfoSource(): SystemInfoSource {
  return {
    async slowSample(): Promise<SlowSample> {
      const [load, mem] = await Promise.allSettled([si.currentLoad(), si.mem()]);
      return {
        cpuLoadPercent: load.status === 'fulfilled' && Number.isFinite(load.value.currentLoad) ? load.value.currentLoad : null,
        swapUsedBytes: mem.status === 'fulfilled' && Number.isFinite(mem.value.swapused) ? mem.value.swapused : null,
      };
    },
  };
}
