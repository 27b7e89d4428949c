/**
 * Crash safety: a write whose call has returned survives the process being
 * SIGKILLed (no close(), no checkpoint), and the file opens cleanly afterwards.
 * Power loss itself cannot be simulated here; synchronous=FULL is asserted in the unit tests.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/store';
import { nodeArgs } from '../../helpers/node-exe';

const ACKS_BEFORE_KILL = 40;
const MAX_ROWS = 100_000;

function runAndKill(dataDir: string): Promise<{ acked: number; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(...nodeArgs(join(__dirname, 'fixtures', 'writer-child.js'), [dataDir, String(MAX_ROWS)]), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let acked = -1;
    let pending = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^ok (\d+)$/.exec(line);
        if (m) acked = Number(m[1]);
      }
      if (acked + 1 >= ACKS_BEFORE_KILL && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal === null && code !== 0) reject(new Error(`child exited ${code}: ${stderr}`));
      else resolve({ acked, signal });
    });
  });
}

describe('store crash safety (process killed mid-write)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'imedge-crash-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every acknowledged write after SIGKILL and reopens cleanly', async () => {
    const { acked, signal } = await runAndKill(dir);
    expect(signal).toBe('SIGKILL');
    expect(acked + 1).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);

    const store = openStore({ dataDir: dir, synchronous: 'FULL', cacheSizeKiB: 1024, busyTimeoutMs: 2000 });
    try {
      expect(store.migration.applied).toEqual([]);
      for (let n = 0; n <= acked; n++) {
        expect(store.users.get(`u${n}`)?.realm).toBe('crash.test');
        expect(store.registrations.get(`u${n}`, `sip:u${n}@127.0.0.1:5070`)?.cseq).toBe(n);
      }
      // Each row was written with its binding in one transaction: never one without the other.
      const users = store.users.list().map((u) => u.user).sort();
      const bound = store.registrations.all().map((b) => b.user).sort();
      expect(bound).toEqual(users);
      expect(store.probeWritable()).toBe(true);
    } finally {
      store.close();
    }
  });
});
