/**
 * A real `imedge serve` child for the bench tables that go through the whole server (1-1
 * sessions, conference state): compiled, on free ports, a temporary data dir; its ports are
 * read from the "listening" log line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';

export interface ImedgeServer {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** SIP port, the same for UDP and TCP */
  readonly sipPort: number;
  /** the admin HTTP port (/metrics, /groups) */
  readonly httpPort: number;
  /** the temporary data directory (removed by stop()) */
  readonly dataDir: string;
  /** ms from spawn to the `listening` log line */
  readonly startMs: number;
  stop(): Promise<void>;
}

/** Limits a bench needs raised above a Pi's defaults; `env` adds or overrides IMEDGE_* keys. */
const BENCH_ENV: Record<string, string> = {
  IMEDGE_LOG__LEVEL: 'info',
  IMEDGE_SESSIONS__MAX_TOTAL: '5000',
  IMEDGE_SESSIONS__MAX_PER_USER: '5000',
  IMEDGE_SESSIONS__MAX_PENDING_PER_SOURCE: '5000',
  IMEDGE_MSRP__MAX_CONNECTIONS: '8192',
  IMEDGE_SIP__MAX_TCP_CONNECTIONS: '8192',
  // every bench client connects from 127.0.0.1: the per-source shares would be the whole cap's quarter
  IMEDGE_SIP__MAX_TCP_CONNECTIONS_PER_SOURCE: '8192',
  IMEDGE_MSRP__MAX_CONNECTIONS_PER_SOURCE: '8192',
  IMEDGE_SIP__MAX_TRANSACTIONS_PER_SOURCE: '4096',
  // a bench callee may be one SIPp process (one address and port) answering for thousands of users
  IMEDGE_SIP__MAX_TRANSACTIONS_PER_TARGET: '4096',
  // every bench client is one source (127.0.0.1) speaking for thousands of users
  IMEDGE_SIP__MAX_REQUESTS_PER_SECOND_PER_SOURCE: '0',
  // the load average belongs to whatever else runs on the machine: never refuse work for it
  IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000',
};

/**
 * Node flags of the server processes the bench starts: BENCH_SERVER_NODE_ARGS when set (e.g.
 * "--cpu-prof --cpu-prof-dir=/tmp/p": --cpu-prof is not allowed in NODE_OPTIONS, and there it
 * would profile the bench too), else those of `npm start` (package.json), which the systemd
 * unit repeats: the bench measures the server as it is run.
 */
export function serverNodeArgs(): string[] {
  const given = process.env.BENCH_SERVER_NODE_ARGS;
  return given !== undefined ? given.split(' ').filter((a) => a !== '') : npmStartNodeArgs();
}

/** "node --a --b=1 dist/src/cli/main.js serve" -> ['--a', '--b=1']. */
export function nodeArgsOf(command: string): string[] {
  const words = command.trim().split(/\s+/);
  if (words[0] !== 'node') return [];
  const args: string[] = [];
  for (const w of words.slice(1)) {
    if (!w.startsWith('-')) break;
    args.push(w);
  }
  return args;
}

function npmStartNodeArgs(): string[] {
  // dist/scripts/bench -> the repository root
  const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as { scripts?: { start?: string } };
  return nodeArgsOf(pkg.scripts?.start ?? '');
}

export interface StartOptions {
  /**
   * The command that runs Node, e.g. ['qemu-aarch64', '/path/arm64/node'] (scripts/arm64);
   * default this process's own Node.
   */
  readonly node?: readonly string[];
  /** the compiled CLI to run (default this tree's dist/src/cli/main.js) */
  readonly cli?: string;
  /** bound on the wait for the listening line, ms (default 15 s) */
  readonly startTimeoutMs?: number;
  /** npm start's configuration (ports and data dir aside), without the bench's raised limits */
  readonly defaults?: boolean;
}

export async function startImedge(env: Record<string, string> = {}, opts: StartOptions = {}): Promise<ImedgeServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imedge-bench-'));
  const cli = opts.cli ?? path.resolve(__dirname, '../../src/cli/main.js');
  const [exe, ...pre] = opts.node ?? [process.execPath];
  const startTimeoutMs = opts.startTimeoutMs ?? 15_000;
  const t0 = process.hrtime.bigint();
  const proc = spawn(exe, [...pre, ...serverNodeArgs(), cli, 'serve', '--sip-port', '0', '--msrp-port', '0', '--http-port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...(opts.defaults === true ? {} : BENCH_ENV), ...env },
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const ports = await new Promise<{ sip: number; http: number }>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`server did not start in ${startTimeoutMs / 1000} s`)), startTimeoutMs);
      // every line is read (the pipe must drain); the listening one carries the ports
      readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
        if (process.env.BENCH_SERVER_STDOUT !== undefined) fs.appendFileSync(process.env.BENCH_SERVER_STDOUT, `${line}\n`);
        try {
          const o = JSON.parse(line) as { msg?: string; sip?: { udp: number | null; tcp: number | null }; http?: number };
          if (o.msg === 'listening' && o.sip) {
            clearTimeout(t);
            resolve({ sip: (o.sip.udp ?? o.sip.tcp) as number, http: o.http ?? 0 });
          }
        } catch {
          /* not JSON */
        }
      });
      proc.once('exit', (c) => {
        clearTimeout(t);
        reject(new Error(`server exited ${c}`));
      });
    });
    const startMs = Number(process.hrtime.bigint() - t0) / 1e6;
    return { proc, pid: proc.pid as number, sipPort: ports.sip, httpPort: ports.http, dataDir, startMs, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
