/** Reads CPU time and memory of processes from /proc (Linux only). */
import { readdirSync, readFileSync } from 'node:fs';

/** utime + stime in clock ticks, or undefined when the process is gone. */
export function cpuTicks(pid: number): number | undefined {
  const t = cpuTicksSplit(pid);
  return t === undefined ? undefined : t.user + t.system;
}

/** utime and stime apart, in clock ticks: kernel time is where socket syscalls show. */
export function cpuTicksSplit(pid: number): { user: number; system: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // the command name may hold spaces and parentheses: fields are counted after the last ')'
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(f[11]), system: Number(f[12]) };
  } catch {
    return undefined;
  }
}

export interface MemStatus {
  /** Resident set now, KiB. */
  readonly rssKb: number;
  /** Peak resident set since the process started, KiB. */
  readonly hwmKb: number;
}

export function memStatus(pid: number): MemStatus | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'latin1');
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
    return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Proportional set size, KiB: shared pages split among the processes sharing them. */
export function pssKb(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1');
    const m = /^Pss:\s+(\d+) kB/m.exec(text);
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

/** The process and all its descendants (a multi-process relay such as Kamailio). */
export function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(name), Number(f[1]));
    } catch {
      // exited meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parentOf) if (ppid === tree[i]) tree.push(pid);
  }
  return tree.filter((p) => p === root || parentOf.has(p));
}

/** Summed CPU ticks of several processes (those gone count 0). */
export function sumCpuTicks(pids: readonly number[]): number {
  return pids.reduce((s, p) => s + (cpuTicks(p) ?? 0), 0);
}

/** Summed PSS, KiB, of several processes. */
export function sumPssKb(pids: readonly number[]): number {
  return pids.reduce((s, p) => s + (pssKb(p) ?? 0), 0);
}

/**
 * Samples the memory of a set of processes every intervalMs and keeps the peak. For a single
 * process the kernel's VmHWM is exact and used instead; for several, summed PSS is the figure
 * that does not count shared memory (Kamailio's shm) once per process.
 */
export class MemorySampler {
  private timer: NodeJS.Timeout | undefined;
  private peak = 0;

  constructor(
    private readonly pids: () => readonly number[],
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.peak = Math.max(this.peak, this.current());
    this.timer = setInterval(() => {
      this.peak = Math.max(this.peak, this.current());
    }, this.intervalMs);
  }

  /** Peak KiB so far (summed PSS); for one process, its VmHWM. */
  stop(): number {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    const pids = this.pids();
    if (pids.length === 1) return memStatus(pids[0])?.hwmKb ?? this.peak;
    return Math.max(this.peak, this.current());
  }

  private current(): number {
    const pids = this.pids();
    if (pids.length === 1) return memStatus(pids[0])?.rssKb ?? 0;
    return sumPssKb(pids);
  }
}
