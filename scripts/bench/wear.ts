/**
 * SD-card wear (issue 13 item 3): bytes the imedge process sends to storage per acknowledged
 * operation, with each board profile's SQLite settings. A real `imedge serve --board NAME`
 * (watchdog off: no MCU here) on a temporary data dir; a fixed run of operations, each one
 * awaited to its acknowledgement (200 / MSRP 200), one after another, as a lightly loaded
 * board sees them. Figures: write_bytes from /proc/PID/io (bytes the process caused to be
 * written to the block layer, page granularity: the kernel counts a page when it is dirtied,
 * and an fsync cleans it, so a synced commit counts its pages each time) and, when strace can
 * attach, the fsync/fdatasync calls. The only files the process writes are in the data dir
 * (logs go to stdout), so this is the data dir's figure. The filesystem's own journal is not
 * counted: a real card writes somewhat more.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ImClient } from '../../src/client';
import { listBoards, loadBoardProfile } from '../../src/config/board';
import { startImedge, type StartOptions } from './imedge-server';
import { formatTable } from './table';

export interface WearPlan {
  refreshes: number;
  messages: number;
  msrpMessages: number;
  sessions: number;
  /** idle seconds measured (health probes, timers) */
  idleS: number;
}

export const DEFAULT_WEAR_PLAN: WearPlan = { refreshes: 100, messages: 100, msrpMessages: 100, sessions: 20, idleS: 60 };
/** How often the idle phase asks for the health verdict, as systemd does with WatchdogSec=20. */
const IDLE_ASK_MS = 10_000;

interface Figure {
  bytes: number;
  syncs: number | undefined;
}

export interface WearRow {
  board: string;
  synchronous: string;
  refresh: Figure;
  message: Figure;
  msrp: Figure;
  session: Figure;
  idlePerMin: Figure;
  fileKb: number;
}

function writeBytes(pid: number): number {
  const m = /^write_bytes:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'latin1'));
  if (m === null) throw new Error(`no write_bytes in /proc/${pid}/io`);
  return Number(m[1]);
}

function dirKb(dir: string): number {
  let total = 0;
  for (const n of readdirSync(dir)) total += statSync(join(dir, n)).size;
  return total / 1024;
}

/** Counts fsync/fdatasync of a process (all threads) while fn runs; undefined without strace. */
async function countSyncs<T>(pid: number, fn: () => Promise<T>): Promise<{ result: T; syncs: number | undefined }> {
  const st = spawn('strace', ['-f', '-qq', '-e', 'trace=fsync,fdatasync', '-e', 'signal=none', '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  let failed = false;
  st.stderr.on('data', (d: Buffer) => (out += d.toString('latin1')));
  st.on('error', () => (failed = true));
  // attached when strace has printed nothing yet and is still there after a moment
  await new Promise((r) => setTimeout(r, 400));
  const result = await fn();
  await new Promise((r) => setTimeout(r, 200));
  const closed = new Promise<void>((r) => st.once('close', () => r()));
  st.kill('SIGINT');
  const bound = setTimeout(() => st.kill('SIGKILL'), 5000);
  await closed;
  clearTimeout(bound);
  if (failed || /Operation not permitted|attach: ptrace/.test(out)) return { result, syncs: undefined };
  return { result, syncs: (out.match(/\b(fsync|fdatasync)\(/g) ?? []).length };
}

async function measured(pid: number, n: number, fn: () => Promise<void>): Promise<Figure> {
  const before = writeBytes(pid);
  const { syncs } = await countSyncs(pid, fn);
  // read after strace detached and a moment passed: the run's writes are all accounted
  return { bytes: (writeBytes(pid) - before) / n, syncs: syncs === undefined ? undefined : syncs / n };
}

const client = (user: string, sipPort: number) =>
  ImClient.start({ user, domain: 'localhost', server: { host: '127.0.0.1', port: sipPort, transport: 'TCP' }, maxSessions: 64 });

/** `start`: how the server runs (scripts/arm64 measures the arm64 build under qemu-user with it). */
export async function measureWear(board: string, plan: WearPlan, start: StartOptions = {}): Promise<WearRow> {
  // Watchdog off on every board (no MCU here); everything else is the profile's.
  const server = await startImedge({ IMEDGE_BOARD: board, IMEDGE_WATCHDOG__ENABLED: 'false', IMEDGE_WATCHDOG__REQUIRED: 'false' }, start);
  const a = await client('weara', server.sipPort);
  const b = await client('wearb', server.sipPort);
  try {
    await a.register(600);
    await b.register(600);
    await new Promise((r) => setTimeout(r, 1000));
    const body = Buffer.alloc(1024, 0x61);
    const refresh = await measured(server.pid, plan.refreshes, async () => {
      for (let i = 0; i < plan.refreshes; i++) await a.register(600);
    });
    const message = await measured(server.pid, plan.messages, async () => {
      for (let i = 0; i < plan.messages; i++) await b.sendMessage('weara', body);
    });
    const sess = await a.invite('wearb');
    await sess.ready();
    const msrp = await measured(server.pid, plan.msrpMessages, async () => {
      for (let i = 0; i < plan.msrpMessages; i++) {
        const r = await sess.send(body);
        if (r.status !== 200) throw new Error(`MSRP SEND answered ${r.status}`);
      }
    });
    await sess.leave();
    const session = await measured(server.pid, plan.sessions, async () => {
      for (let i = 0; i < plan.sessions; i++) {
        const s = await a.invite('wearb');
        await s.ready();
        await s.leave();
      }
    });
    // Idle as in service: the systemd heartbeat (WatchdogSec=20, every 10 s) asks for the health
    // verdict, which runs the SQLite write probe; GET /healthz asks the same.
    const idle = await measured(server.pid, 1, async () => {
      const end = Date.now() + plan.idleS * 1000;
      while (Date.now() < end) {
        await fetch(`http://127.0.0.1:${server.httpPort}/healthz`).then((r) => r.arrayBuffer()).catch(() => undefined);
        await new Promise((r) => setTimeout(r, Math.min(IDLE_ASK_MS, Math.max(0, end - Date.now()))));
      }
    });
    const perMin = 60 / plan.idleS;
    return {
      board,
      synchronous: profileSynchronous(board),
      refresh,
      message,
      msrp,
      session,
      idlePerMin: { bytes: idle.bytes * perMin, syncs: idle.syncs === undefined ? undefined : idle.syncs * perMin },
      fileKb: dirKb(server.dataDir),
    };
  } finally {
    for (const c of [a, b]) await c.close(200).catch(() => undefined);
    await server.stop();
  }
}

function profileSynchronous(board: string): string {
  const store = (loadBoardProfile(board) as { store?: { synchronous?: string } }).store;
  return store?.synchronous ?? 'FULL (default)';
}

export function wearBoards(): string[] {
  return listBoards();
}

const kb = (f: Figure): string => `${(f.bytes / 1024).toFixed(1)} KiB${f.syncs === undefined ? '' : ` / ${f.syncs.toFixed(1)}`}`;

export function wearTable(plan: WearPlan, rows: readonly WearRow[]): string {
  const cols = ['board', 'synchronous', 'REGISTER refresh', 'page MESSAGE 1 KiB', 'MSRP SEND 1 KiB', 'session set-up+BYE', 'idle per minute', 'data dir KiB']
    .map((title, i) => ({ title, align: i < 2 ? ('left' as const) : ('right' as const) }));
  const body = rows.map((r) => [r.board, r.synchronous, kb(r.refresh), kb(r.message), kb(r.msrp), kb(r.session), kb(r.idlePerMin), r.fileKb.toFixed(0)]);
  return (
    `SD-card wear: bytes written / fsyncs per acknowledged operation (${plan.refreshes} refreshes, ${plan.messages} page MESSAGEs, ` +
    `${plan.msrpMessages} MSRP SENDs, ${plan.sessions} sessions, ${plan.idleS} s idle; one at a time)\n` +
    formatTable(cols, body) +
    '\nwrite_bytes of /proc/PID/io (page granularity, filesystem journal not included); fsyncs by strace -f.' +
    '\nIdle: the health verdict asked every 10 s (systemd WatchdogSec=20); each asked probe is a synced commit.'
  );
}
