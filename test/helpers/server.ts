// Starts the real `imedge serve` (compiled, as users run it) on free ports with a temp data
// dir, and reads the "listening" line for the chosen ports.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { nodeCommand, timeScale } from './node-exe';

// from test/helpers under ts-jest, or dist/test/helpers when a compiled script (scripts/fault) uses it
const UP = path.resolve(__dirname, '../..');
export const ROOT = path.basename(UP) === 'dist' ? path.dirname(UP) : UP;
export const CLI = path.join(ROOT, 'dist/src/cli/main.js');

export interface ServerHandle {
  proc: ChildProcess;
  dataDir: string;
  sipPort: number;
  msrpPort: number | null;
  /** The TLS ports from the listening line; null when TLS is off. */
  sipsPort: number | null;
  msrpsPort: number | null;
  httpPort: number;
  lines: Record<string, unknown>[];
  stderr: string[];
  /** Resolves with the exit code after SIGTERM (or kill after a bound). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  waitForLog(pred: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export function tempDir(prefix = 'imedge-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// Under emulation (TEST_TIME_SCALE > 1) the server runs several times slower: its event-loop
// lag thresholds would refuse new work (503, pressure) for the emulator's sake, and its default
// protocol timers (an MSRP dial or bind, a slow group receiver, an invitee's ring) would expire
// on slowness alone; they are scaled like the tests' bounds. (RSS needs nothing: under
// qemu-user process.memoryUsage.rss() reads 0, /proc/self/stat carries no RSS.) Each group is
// left alone when the test sets any of its keys (a test about pressure or about that timer keeps
// its values; the hard lag limit stays above the soft one, config/rules.ts); the schema's
// 600 s bound caps them.
const SCHEMA_MAX_MS = 600_000;
function emulationEnv(scale: number, testEnv: Record<string, string>): Record<string, string> {
  if (scale <= 1) return {};
  const out: Record<string, string> = {};
  const ms = (v: number) => String(Math.min(Math.round(v * scale), SCHEMA_MAX_MS));
  const groups: Record<string, string>[] = [
    { IMEDGE_HEALTH__MAX_EVENT_LOOP_LAG_MS: ms(2000), IMEDGE_HEALTH__HARD_MAX_EVENT_LOOP_LAG_MS: ms(10_000) },
    { IMEDGE_MSRP__CONNECT_TIMEOUT_MS: ms(10_000) },
    { IMEDGE_MSRP__BIND_TIMEOUT_MS: ms(15_000) },
    { IMEDGE_MSRP__TRANSACTION_TIMEOUT_MS: ms(30_000) },
    { IMEDGE_GROUPS__SLOW_RECEIVER_MS: ms(5000) },
    { IMEDGE_GROUPS__INVITE_TIMEOUT_MS: ms(60_000) },
  ];
  for (const g of groups) if (!Object.keys(g).some((k) => k in testEnv)) Object.assign(out, g);
  return out;
}

export async function startServer(opts: { dataDir?: string; args?: string[]; env?: Record<string, string>; openFiles?: number } = {}): Promise<ServerHandle> {
  const dataDir = opts.dataDir ?? tempDir();
  const node = nodeCommand();
  let args = [...node.pre, CLI, 'serve', '--sip-port', '0', '--msrp-port', '0', '--http-port', '0', '--data-dir', dataDir, ...(opts.args ?? [])];
  let exe = node.exe;
  if (opts.openFiles !== undefined) {
    // the process as a distribution starts it: RLIMIT_NOFILE lowered by the shell
    args = ['-c', `ulimit -n ${opts.openFiles} && exec "$0" "$@"`, node.exe, ...args];
    exe = '/bin/sh';
  }
  const proc = spawn(exe, args, {
    cwd: ROOT,
    // the machine's load average belongs to whatever else runs (other test files, CI): a test
    // server refuses new work for it only in the tests that set the threshold themselves
    env: { ...process.env, IMEDGE_LOG__LEVEL: 'debug', IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000', ...emulationEnv(timeScale(), opts.env ?? {}), ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  const waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
    try {
      const obj = JSON.parse(line) as Record<string, unknown>;
      lines.push(obj);
      for (const w of [...waiters]) if (w.pred(obj)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(obj);
      }
    } catch {
      /* not JSON: ignore */
    }
  });
  proc.stderr!.on('data', (d) => stderr.push(String(d)));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));

  const waitForLog = (pred: (l: Record<string, unknown>) => boolean, timeoutMs = 15000 * timeScale()) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const found = lines.find(pred);
      if (found) return resolve(found);
      const t = setTimeout(() => reject(new Error(`log line not seen; stderr: ${stderr.join('')}`)), timeoutMs);
      waiters.push({ pred, resolve: (l) => (clearTimeout(t), resolve(l)) });
      void exited.then((code) => {
        clearTimeout(t);
        reject(new Error(`server exited (${code}) before the log line; stderr: ${stderr.join('')}`));
      });
    });

  const listening = await waitForLog((l) => l.msg === 'listening');
  const sip = listening.sip as { udp: number | null; tcp: number | null; tls?: number };
  return {
    proc,
    dataDir,
    sipPort: (sip.udp ?? sip.tcp)!,
    msrpPort: (listening.msrp as number | null) ?? null,
    sipsPort: sip.tls ?? null,
    msrpsPort: (listening.msrps as number | undefined) ?? null,
    httpPort: listening.http as number,
    lines,
    stderr,
    waitForLog,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), 10000 * timeScale());
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

/** Runs the CLI to completion. */
export function runCli(args: string[], opts: { env?: Record<string, string>; input?: string; cwd?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const node = nodeCommand();
    const proc = spawn(node.exe, [...node.pre, CLI, ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    proc.stdin.end(opts.input ?? '');
    const t = setTimeout(() => proc.kill('SIGKILL'), 20000 * timeScale());
    proc.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}
