// Runs SIPp (Debian sip-tester) against a server: a peer no one here wrote. Scenario files
// under test/fixtures/sipp are named after the response they expect; SIPp exits 0 only
// when every call of the scenario succeeded.
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { timeScale } from './node-exe';

export const SCENARIOS = path.resolve(__dirname, '../fixtures/sipp');

export interface SippRun {
  /** The user ([service]) the scenario speaks for. */
  service: string;
  transport?: 'u1' | 't1';
  localPort: number;
  timeoutS?: number;
  /** Calls to run (UAC) or to take (UAS) before exiting. */
  calls?: number;
  /** -key name value: [name] in the scenario becomes value. */
  keys?: Record<string, string>;
  /** More SIPp options (e.g. -cid_str, so that the test knows the Call-ID). */
  args?: string[];
}

export function sipp(sipPort: number, scenario: string, opts: SippRun): Promise<{ code: number | null; out: string }> {
  const args = [
    `127.0.0.1:${sipPort}`,
    '-sf', path.join(SCENARIOS, scenario),
    '-s', opts.service,
    '-i', '127.0.0.1',
    '-p', String(opts.localPort),
    '-t', opts.transport ?? 'u1',
    '-m', String(opts.calls ?? 1),
    // the scenario's bound; the server it talks to runs emulated under TEST_TIME_SCALE
    '-timeout', `${Math.round((opts.timeoutS ?? 10) * timeScale())}s`,
    '-timeout_error',
    '-nostdin',
    ...Object.entries(opts.keys ?? {}).flatMap(([k, v]) => ['-key', k, v]),
    ...(opts.args ?? []),
  ];
  return new Promise((resolve) => {
    const p = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    // a missing binary fails at once with its cause, not after the scenario timeout
    p.on('error', (err) => resolve({ code: -1, out: `cannot run sipp: ${err.message}` }));
    p.on('exit', (code) => resolve({ code, out }));
  });
}

/** SIPp is a peer we did not write: without it these tests cannot run, and must say so. */
export function requireSipp(): void {
  const r = spawnSync('sipp', ['-v'], { encoding: 'utf8' });
  if (r.error) throw new Error(`SIPp is not installed (${r.error.message}): apt-get install sip-tester (.ci/run does)`);
}

/**
 * A local port for SIPp, which binds it itself. Picked below Linux's ephemeral range (32768 and
 * up): a port from 32768-39999 could be the source port of any connection the tests hold open,
 * and SIPp then stops with exit 254 (bind failed), as one CI-path run did. Never the same twice
 * in one test process; the jest workers' picks rarely meet in 12,000 ports.
 */
const givenSippPorts = new Set<number>();
export const sippPort = (): number => {
  for (;;) {
    const p = 20000 + Math.floor(Math.random() * 12000);
    if (givenSippPorts.has(p)) continue;
    givenSippPorts.add(p);
    return p;
  }
};
