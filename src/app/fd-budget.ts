// Every connection holds a file descriptor. When the caps of the listeners add up to more than
// the process may open (RLIMIT_NOFILE, 1024 by default), a connection flood ends in EMFILE
// everywhere: SQLite, /proc reads, accept(). So the caps are fitted under the limit at start-up,
// with a reserve for everything else, and the log says which keys were lowered.
import * as fs from 'node:fs';

/** Descriptors kept free for SQLite (db, WAL, shm), UDP sockets, the serial port, /proc and files. */
export const FD_RESERVE = 96;

/** The soft "Max open files" of this process, or undefined when /proc does not tell. */
export function openFileLimit(limitsFile = '/proc/self/limits'): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(fs.readFileSync(limitsFile, 'utf8'));
    if (m === null || m[1] === 'unlimited') return undefined;
    return Number(m[1]);
  } catch {
    return undefined;
  }
}

export interface ConnectionCaps {
  sipTcp: number;
  msrp: number;
  admin: number;
}

/** Caps that fit in limit - FD_RESERVE, lowered in proportion (never below 8 each); unchanged when they fit. */
export function fitCaps(caps: ConnectionCaps, limit: number | undefined): { caps: ConnectionCaps; lowered: boolean } {
  if (limit === undefined) return { caps, lowered: false };
  const room = Math.max(limit - FD_RESERVE - caps.admin, 16);
  const want = caps.sipTcp + caps.msrp;
  if (want <= room) return { caps, lowered: false };
  const sipTcp = Math.max(8, Math.floor((caps.sipTcp * room) / want));
  const msrp = Math.max(8, room - sipTcp);
  return { caps: { sipTcp, msrp, admin: caps.admin }, lowered: true };
}
