// `imedge doctor`: what the board profile expects against what this machine has, with a
// verdict. Read-only: it opens nothing the running server might hold.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Config } from '../config';
import { detectBoard } from '../device/board/detect';

export interface DoctorLine {
  item: string;
  expected: string;
  found: string;
  ok: boolean;
}

const MIB = 1024 * 1024;

function writableDir(dir: string): string | null {
  try {
    fs.mkdirSync(dir, { recursive: true });
    const probe = path.join(dir, `.doctor-${process.pid}`);
    fs.writeFileSync(probe, 'x');
    fs.unlinkSync(probe);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

function readTemp(zonesDir: string): number | null {
  try {
    for (const z of fs.readdirSync(zonesDir).filter((n) => n.startsWith('thermal_zone')).sort()) {
      const v = Number(fs.readFileSync(path.join(zonesDir, z, 'temp'), 'utf8').trim());
      if (Number.isFinite(v)) return v / 1000;
    }
  } catch {
    /* no thermal zones */
  }
  return null;
}

export function runDoctor(cfg: Config, opts: { modelPath?: string; thermalDir?: string } = {}): { lines: DoctorLine[]; ok: boolean } {
  const lines: DoctorLine[] = [];
  const det = detectBoard(opts.modelPath);
  lines.push({ item: 'board', expected: cfg.board, found: `${det.model ?? '(no device-tree model)'} -> ${det.profile ?? 'unknown'}`, ok: det.profile === null || det.profile === cfg.board });

  const dirErr = writableDir(cfg.dataDir);
  lines.push({ item: 'data dir writable', expected: cfg.dataDir, found: dirErr ?? 'writable', ok: dirErr === null });

  let free: number | null = null;
  try {
    const st = fs.statfsSync(cfg.dataDir);
    free = st.bavail * st.bsize;
  } catch {
    free = null;
  }
  lines.push({
    item: 'free disk',
    expected: `>= ${cfg.health.minDiskFreeMiB} MiB`,
    found: free === null ? 'unknown' : `${Math.floor(free / MIB)} MiB`,
    ok: free !== null && free >= cfg.health.minDiskFreeMiB * MIB,
  });

  const temp = readTemp(opts.thermalDir ?? '/sys/class/thermal');
  lines.push({ item: 'temperature', expected: `< ${cfg.health.maxTempC} C`, found: temp === null ? 'no sensor' : `${temp.toFixed(1)} C`, ok: temp === null || temp < cfg.health.maxTempC });

  if (cfg.watchdog.enabled) {
    let found = 'present, read/write';
    let ok = true;
    try {
      fs.accessSync(cfg.watchdog.device, fs.constants.R_OK | fs.constants.W_OK);
    } catch (err) {
      found = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `not accessible (${(err as NodeJS.ErrnoException).code}); is the user in group dialout?`;
      ok = false;
    }
    lines.push({ item: `watchdog (${cfg.watchdog.protocol})`, expected: cfg.watchdog.device, found, ok: ok || !cfg.watchdog.required });
  } else {
    lines.push({ item: 'watchdog', expected: 'off in this profile', found: 'not checked', ok: true });
  }
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  lines.push({ item: 'node', expected: '>= 20', found: process.versions.node, ok: nodeMajor >= 20 });
  return { lines, ok: lines.every((l) => l.ok) };
}

export function formatDoctor(r: { lines: DoctorLine[]; ok: boolean }): string {
  const w = (k: keyof DoctorLine) => Math.max(...r.lines.map((l) => String(l[k]).length), k.length);
  const row = (a: string, b: string, c: string, d: string) => `${a.padEnd(w('item'))}  ${b.padEnd(w('expected'))}  ${c.padEnd(w('found'))}  ${d}`;
  const out = [row('item', 'expected', 'found', ''), ...r.lines.map((l) => row(l.item, l.expected, l.found, l.ok ? 'ok' : 'FAIL'))];
  out.push('', r.ok ? 'verdict: ready' : `verdict: NOT ready (${r.lines.filter((l) => !l.ok).map((l) => l.item).join(', ')})`);
  return out.join('\n') + '\n';
}
