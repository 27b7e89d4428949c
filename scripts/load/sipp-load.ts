/**
 * SIPp as the signalling load beside the MSRP sessions: a peer we did not write, registering
 * and pinging the server at a fixed call rate over UDP for the duration of a load step.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SippOutcome {
  readonly successful: number;
  readonly failed: number;
  readonly exitCode: number | null;
}

export interface SippLoad {
  readonly done: Promise<SippOutcome>;
  stop(): void;
}

/** The scenario sits beside the compiled script's source (scripts/load), read from the repo. */
const SCENARIO = join(__dirname, '../../../scripts/load/sipp-register-options.xml');

/** Reads SIPp's final statistics screen: "Successful call | <periodic> | <cumulative>". */
function count(out: string, label: string): number {
  const rows = [...out.matchAll(new RegExp(`${label}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`, 'g'))];
  return rows.length === 0 ? 0 : Number(rows[rows.length - 1][1]);
}

/** Users SIPp registers in turn: a fixed pool, so every call after the first round is a refresh. */
const POOL = 50;

export function startSipp(sipPort: number, ratePerSec: number, seconds: number): SippLoad {
  const calls = Math.max(1, Math.round(ratePerSec * seconds));
  const dir = mkdtempSync(join(tmpdir(), 'imedge-load-'));
  const users = join(dir, 'users.csv');
  writeFileSync(users, `SEQUENTIAL\n${Array.from({ length: POOL }, (_, i) => `sippload${i};`).join('\n')}\n`);
  const p = spawn(
    'sipp',
    [
      `127.0.0.1:${sipPort}`,
      '-sf', SCENARIO,
      '-inf', users,
      '-i', '127.0.0.1',
      '-p', String(20000 + Math.floor(Math.random() * 20000)),
      '-t', 'u1',
      '-r', String(ratePerSec),
      '-m', String(calls),
      '-timeout', `${seconds + 30}s`,
      '-timeout_error',
      '-nostdin',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (out += d));
  const done = new Promise<SippOutcome>((resolve) => {
    p.on('error', () => resolve({ successful: 0, failed: calls, exitCode: -1 }));
    p.on('exit', (code) => {
      rmSync(dir, { recursive: true, force: true });
      resolve({ successful: count(out, 'Successful call'), failed: count(out, 'Failed call'), exitCode: code });
    });
  });
  return {
    done,
    stop: () => {
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    },
  };
}
