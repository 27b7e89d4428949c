/**
 * Cheap direct reads of the values sampled often (≈0.1–0.3 ms each here,
 * against 5–50 ms and several child processes for the systeminformation
 * equivalents). Each returns null when the value cannot be read.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';

/** Host paths, overridable so tests can point at fake /proc and /sys trees. */
export interface HostPaths {
  meminfo: string;
  loadavg: string;
  /** Directory holding thermal_zone<N>/temp. */
  thermalDir: string;
  /** Directory holding <interface>/operstate. */
  netDir: string;
}

export const DEFAULT_HOST_PATHS: HostPaths = {
  meminfo: '/proc/meminfo',
  loadavg: '/proc/loadavg',
  thermalDir: '/sys/class/thermal',
  netDir: '/sys/class/net',
};

async function readText(file: string): Promise<string | null> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch {
    return null;
  }
}

/** MemAvailable from /proc/meminfo, in bytes. */
export async function readMemAvailableBytes(meminfo: string): Promise<number | null> {
  const text = await readText(meminfo);
  const match = text === null ? null : /^MemAvailable:\s+(\d+)\s+kB/m.exec(text);
  return match ? Number(match[1]) * 1024 : null;
}

/** One-minute load average from /proc/loadavg. */
export async function readLoad1(loadavg: string): Promise<number | null> {
  const text = await readText(loadavg);
  const value = text === null ? NaN : Number(text.trim().split(/\s+/)[0]);
  return Number.isFinite(value) ? value : null;
}

/** Hottest thermal zone in °C (millidegrees in sysfs); null when there is none. */
export async function readMaxTempC(thermalDir: string): Promise<number | null> {
  let entries: string[];
  try {
    entries = await fsp.readdir(thermalDir);
  } catch {
    return null;
  }
  let max: number | null = null;
  for (const name of entries) {
    if (!name.startsWith('thermal_zone')) continue;
    const text = await readText(path.join(thermalDir, name, 'temp'));
    const milli = text === null ? NaN : Number(text.trim());
    if (Number.isFinite(milli) && (max === null || milli / 1000 > max)) max = milli / 1000;
  }
  return max;
}

/**
 * Whether the uplink interface is up. A missing interface is down (a modem
 * unplugged); point-to-point links (ppp, wwan) report "unknown" while they
 * carry traffic, so that counts as up.
 */
export async function readUplinkUp(netDir: string, iface: string): Promise<boolean> {
  const text = await readText(path.join(netDir, iface, 'operstate'));
  if (text === null) return false;
  const state = text.trim();
  return state === 'up' || state === 'unknown';
}

/** Bytes available to an unprivileged writer on the file system of `dir`. */
export async function readDiskFreeBytes(dir: string): Promise<number | null> {
  try {
    const st = await fsp.statfs(dir);
    return st.bavail * st.bsize;
  } catch {
    return null;
  }
}
