// `imedge doctor`: what the board profile expects against what this machine has, with a
// verdict. Read-only: it opens nothing the running server might hold.
import * as fs from 'node:fs';
import * as os from 'node:os';
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

/** Architectures a board profile's hardware runs (Node's process.arch names); absent: any. */
const BOARD_ARCH: Record<string, readonly string[]> = {
  'rpi-zero2w': ['arm64'],
  rpi4: ['arm64'],
  rpi5: ['arm64'],
  'modem-board': ['arm', 'arm64'],
};

/** Serial device names a watchdog MCU shows up as (GPIO UART, USB adapters, the Pi's aliases). */
const SERIAL_NAME = /^(ttyS\d+|ttyAMA\d+|ttyUSB\d+|ttyACM\d+|serial\d+)$/;
/** At most this many names on the line; the rest are counted. */
const MAX_SERIAL_LISTED = 8;

/**
 * Serial devices in devDir, aliases with their target (serial0 -> ttyS0). Many kernels create
 * ttyS0..ttyS31 whether or not a UART is behind them: those without a driver are left out
 * (/sys/class/tty/NAME/device missing), like `setserial -g` does.
 */
export function listSerialDevices(devDir = '/dev', sysTty = '/sys/class/tty'): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(devDir).filter((n) => SERIAL_NAME.test(n));
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))) {
    const full = path.join(devDir, n);
    let target: string | null = null;
    try {
      if (fs.lstatSync(full).isSymbolicLink()) target = path.basename(fs.readlinkSync(full));
    } catch {
      continue;
    }
    if (target === null && n.startsWith('ttyS') && fs.existsSync(path.join(sysTty, n)) && !fs.existsSync(path.join(sysTty, n, 'device'))) continue;
    out.push(target === null ? n : `${n} -> ${target}`);
  }
  return out;
}

export interface DoctorOptions {
  modelPath?: string;
  thermalDir?: string;
  devDir?: string;
  sysTtyDir?: string;
  /** process.arch stand-in (tests) */
  arch?: string;
}

export function runDoctor(cfg: Config, opts: DoctorOptions = {}): { lines: DoctorLine[]; ok: boolean } {
  const lines: DoctorLine[] = [];
  const det = detectBoard(opts.modelPath);
  lines.push({ item: 'board', expected: cfg.board, found: `${det.model ?? '(no device-tree model)'} -> would pick ${det.profile ?? 'none (unknown model)'}`, ok: det.profile === null || det.profile === cfg.board });

  const arch = opts.arch ?? process.arch;
  const wanted = BOARD_ARCH[cfg.board];
  lines.push({
    item: 'architecture',
    expected: wanted === undefined ? 'any' : wanted.join(' or '),
    found: `${arch} (${os.machine()}, ${os.endianness()})`,
    ok: wanted === undefined || wanted.includes(arch),
  });

  const serial = listSerialDevices(opts.devDir, opts.sysTtyDir);
  const shown = serial.slice(0, MAX_SERIAL_LISTED).join(', ') + (serial.length > MAX_SERIAL_LISTED ? `, +${serial.length - MAX_SERIAL_LISTED} more` : '');
  lines.push({
    item: 'serial devices',
    expected: cfg.watchdog.enabled && cfg.watchdog.protocol !== 'devwatchdog' ? `includes ${path.basename(cfg.watchdog.device)}` : 'informational',
    found: serial.length === 0 ? 'none' : shown,
    ok: true,
  });

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
  lines.push({ item: 'node', expected: '>= 20', found: `${process.versions.node} (ABI ${process.versions.modules}, ${process.execPath})`, ok: nodeMajor >= 20 });
  return { lines, ok: lines.every((l) => l.ok) };
}

/** Parses one unlabelled sample of a Prometheus text exposition; undefined when absent. */
function sample(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m === null ? undefined : Number(m[1]);
}

/**
 * The watchdog link as the running server sees it (doctor opens no serial port a server may
 * hold): its /metrics on the admin port. Not running, or the watchdog off: said, not failed.
 */
export async function watchdogLinkLine(cfg: Config, opts: { fetchTimeoutMs?: number; port?: number } = {}): Promise<DoctorLine> {
  const item = 'watchdog link';
  if (!cfg.watchdog.enabled) return { item, expected: 'off in this profile', found: 'not checked', ok: true };
  const expected = 'open, MCU answering';
  const port = opts.port ?? cfg.http.port;
  const host = cfg.bind === '0.0.0.0' || cfg.bind === '::' ? '127.0.0.1' : cfg.bind;
  let token = cfg.http.token;
  if (token === '') {
    try {
      token = fs.readFileSync(path.join(cfg.dataDir, 'admin-token'), 'utf8').trim();
    } catch {
      token = '';
    }
  }
  let text: string;
  try {
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`;
    const res = await fetch(url, { signal: AbortSignal.timeout(opts.fetchTimeoutMs ?? 2000), headers: token === '' ? {} : { authorization: `Bearer ${token}` } });
    if (res.status !== 200) return { item, expected, found: `admin port ${port} answered ${res.status}`, ok: true };
    text = await res.text();
  } catch {
    return { item, expected, found: `no running imedge on ${host}:${port} (state unknown)`, ok: true };
  }
  const open = sample(text, 'imedge_watchdog_link_open');
  if (open === undefined) return { item, expected, found: 'the running imedge has no watchdog', ok: !cfg.watchdog.required };
  const missed = sample(text, 'imedge_watchdog_answers_missed_total') ?? 0;
  const sent = sample(text, 'imedge_watchdog_heartbeats_sent_total') ?? 0;
  const found = `${open === 1 ? 'open' : 'closed'}; ${sent} heartbeats sent, ${missed} answers missed`;
  return { item, expected, found, ok: open === 1 || !cfg.watchdog.required };
}

export function formatDoctor(r: { lines: DoctorLine[]; ok: boolean }): string {
  const w = (k: keyof DoctorLine) => Math.max(...r.lines.map((l) => String(l[k]).length), k.length);
  const row = (a: string, b: string, c: string, d: string) => `${a.padEnd(w('item'))}  ${b.padEnd(w('expected'))}  ${c.padEnd(w('found'))}  ${d}`;
  const out = [row('item', 'expected', 'found', ''), ...r.lines.map((l) => row(l.item, l.expected, l.found, l.ok ? 'ok' : 'FAIL'))];
  out.push('', r.ok ? 'verdict: ready' : `verdict: NOT ready (${r.lines.filter((l) => !l.ok).map((l) => l.item).join(', ')})`);
  return out.join('\n') + '\n';
}
