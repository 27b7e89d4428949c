/**
 * CPU load and swap use for the slow health sample. On Linux both come from /proc (two small
 * reads, no child process, no library); elsewhere from systeminformation, loaded on the first
 * sample only (issue 14 item 4: it costs ~2 MB of heap and spawns processes, and a Pi never
 * needs it). Only parameter-free calls reach systeminformation (no request data can ever reach
 * its shell commands). Called on a slow timer (>= 30 s) by the sampler, never per request.
 */
import { readFile } from 'node:fs/promises';

export interface SlowSample {
  /** CPU busy percentage averaged since the previous slow sample. */
  cpuLoadPercent: number | null;
  swapUsedBytes: number | null;
}

export interface SystemInfoSource {
  slowSample(): Promise<SlowSample>;
}

/** Busy and total jiffies of the aggregate `cpu` line of /proc/stat. */
export interface CpuTicks {
  readonly busy: number;
  readonly total: number;
}

/**
 * The `cpu` line of /proc/stat: user nice system idle iowait irq softirq steal guest ...
 * Busy = user + nice + system + irq + steal + guest, total = busy + idle: the sums
 * systeminformation's currentLoad() makes over os.cpus() (iowait and softirq left out alike).
 */
export function parseProcStat(text: string): CpuTicks | null {
  const line = /^cpu\s+([0-9 ]+)$/m.exec(text);
  if (line === null) return null;
  const f = line[1].trim().split(/\s+/).map(Number);
  if (f.length < 4 || f.some((n) => !Number.isFinite(n))) return null;
  const [user, nice, system, idle, , irq = 0, , steal = 0, guest = 0] = f;
  const busy = user + nice + system + irq + steal + guest;
  return { busy, total: busy + idle };
}

/** SwapTotal - SwapFree of /proc/meminfo, in bytes. */
export function parseSwapUsed(text: string): number | null {
  const total = /^SwapTotal:\s+(\d+) kB$/m.exec(text);
  const free = /^SwapFree:\s+(\d+) kB$/m.exec(text);
  if (total === null || free === null) return null;
  return (Number(total[1]) - Number(free[1])) * 1024;
}

/** Busy share of the ticks between two readings (since boot for the first, as systeminformation). */
export function loadPercent(prev: CpuTicks | null, now: CpuTicks): number | null {
  const busy = now.busy - (prev?.busy ?? 0);
  const total = now.total - (prev?.total ?? 0);
  if (total <= 0) return null;
  return (busy / total) * 100;
}

function procSource(): SystemInfoSource {
  let prev: CpuTicks | null = null;
  return {
    async slowSample(): Promise<SlowSample> {
      const [stat, meminfo] = await Promise.allSettled([readFile('/proc/stat', 'utf8'), readFile('/proc/meminfo', 'utf8')]);
      let cpuLoadPercent: number | null = null;
      const ticks = stat.status === 'fulfilled' ? parseProcStat(stat.value) : null;
      if (ticks !== null) {
        cpuLoadPercent = loadPercent(prev, ticks);
        prev = ticks;
      }
      return { cpuLoadPercent, swapUsedBytes: meminfo.status === 'fulfilled' ? parseSwapUsed(meminfo.value) : null };
    },
  };
}

function systeminformationSource(): SystemInfoSource {
  return {
    async slowSample(): Promise<SlowSample> {
      const si = require('systeminformation') as typeof import('systeminformation');
      const [load, mem] = await Promise.allSettled([si.currentLoad(), si.mem()]);
      return {
        cpuLoadPercent: load.status === 'fulfilled' && Number.isFinite(load.value.currentLoad) ? load.value.currentLoad : null,
        swapUsedBytes: mem.status === 'fulfilled' && Number.isFinite(mem.value.swapused) ? mem.value.swapused : null,
      };
    },
  };
}

export function createSystemInfoSource(platform: NodeJS.Platform = process.platform): SystemInfoSource {
  return platform === 'linux' ? procSource() : systeminformationSource();
}
