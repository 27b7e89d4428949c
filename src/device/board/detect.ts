// Which board profile fits this machine, from the device-tree model string (what the
// Raspberry Pi firmware and most ARM boards expose in /proc/device-tree/model).
import * as fs from 'node:fs';

export const DEFAULT_MODEL_PATH = '/proc/device-tree/model';

const RULES: readonly [RegExp, string][] = [
  [/Raspberry Pi Zero 2/i, 'rpi-zero2w'],
  [/Raspberry Pi 5/i, 'rpi5'],
  [/Raspberry Pi 4|Raspberry Pi Compute Module 4|Raspberry Pi 400/i, 'rpi4'],
];

export interface Detection {
  /** The model string as read (NUL terminator removed), or null when there is none. */
  model: string | null;
  /** The profile name, or null when no rule matched. */
  profile: string | null;
  /** Why this profile (or none). */
  reason: string;
}

/** Pure: model string -> profile. No device tree (x86) means the bench profile. */
export function profileForModel(model: string | null): Detection {
  if (model === null) return { model, profile: 'bench-x86', reason: 'no device-tree model (not an ARM board): bench profile' };
  for (const [re, profile] of RULES) if (re.test(model)) return { model, profile, reason: `model matches ${re.source}` };
  return { model, profile: null, reason: 'unknown board: choose a profile with --board (modem boards are named by the integrator)' };
}

export function detectBoard(modelPath = DEFAULT_MODEL_PATH): Detection {
  let model: string | null = null;
  try {
    model = fs.readFileSync(modelPath, 'latin1').replace(/\0+$/, '').trim();
  } catch {
    model = null;
  }
  return profileForModel(model);
}
