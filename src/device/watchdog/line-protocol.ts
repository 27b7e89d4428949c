/**
 * The watchdog MCU line protocol (DESIGN.md, fixed points): pure encode and
 * parse, no I/O. Every command ends in "\n"; answers are "OK ARM",
 * "OK DISARM" and "OK <seq> [uptime] [reset cause]".
 */

export type McuAnswer =
  | { kind: 'arm' }
  | { kind: 'disarm' }
  | { kind: 'heartbeat'; seq: number; uptime: number | null; resetCause: string | null };

export function encodeArm(timeoutS: number): Buffer {
  return Buffer.from(`ARM ${timeoutS}\n`, 'ascii');
}

export function encodeHeartbeat(seq: number): Buffer {
  return Buffer.from(`HB ${seq}\n`, 'ascii');
}

export function encodeDisarm(): Buffer {
  return Buffer.from('DISARM\n', 'ascii');
}

const SEQ = /^\d{1,15}$/;

/** Parses one answer line (delimiter already removed); null for anything else. */
export function parseAnswer(raw: string): McuAnswer | null {
  const line = raw.replace(/\r$/, '').trim();
  const parts = line.split(/\s+/);
  if (parts[0] !== 'OK' || parts.length < 2) return null;
  const head = parts[1] as string;
  if (head === 'ARM' && parts.length === 2) return { kind: 'arm' };
  if (head === 'DISARM' && parts.length === 2) return { kind: 'disarm' };
  if (!SEQ.test(head)) return null;
  const seq = Number(head);
  let uptime: number | null = null;
  let rest = parts.slice(2);
  if (rest.length > 0 && /^\d+(\.\d+)?$/.test(rest[0] as string)) {
    uptime = Number(rest[0]);
    rest = rest.slice(1);
  }
  const resetCause = rest.length > 0 ? rest.join(' ') : null;
  return { kind: 'heartbeat', seq, uptime, resetCause };
}
