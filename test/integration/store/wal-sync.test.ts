/**
 * A group commit with synchronous=FULL syncs the WAL in a thread of Node's pool, not on the
 * event loop (store.ts walSyncOff): strace of a real store shows each acknowledged batch's
 * fdatasync/fsync made by another thread than the main one, and none by the main thread
 * (but for the WAL header's sync when the WAL starts over after a checkpoint, which SQLite
 * makes itself at any level: rare, and kept out of the measured stretch).
 * The rows are all there after a reopen.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeHa1, openStore } from '../../../src/store';

const WRITES = 20;

/** strace runs here unless ptrace is refused (some containers): then the test says so. */
function straceUsable(): boolean {
  const r = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', 'true'], { encoding: 'utf8' });
  if (r.error) throw new Error(`strace is not installed (${r.error.message}): apt-get install strace (.ci/run does)`);
  if (r.status !== 0) {
    console.warn(`wal-sync: strace cannot trace here (${r.stderr.trim()}); the thread of the sync is not checked`);
    return false;
  }
  return true;
}

test('group commits sync the WAL off the main thread; every acknowledged row is there after a reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'imedge-walsync-'));
  const out = join(dir, 'strace.out');
  const marker = join(dir, 'mark');
  const traced = straceUsable() && process.env.TEST_NODE_COMMAND === undefined;
  const child = join(__dirname, 'fixtures', 'grouped-child.js');
  const args = [dir, String(WRITES), marker];
  const cmd: [string, string[]] = traced
    ? ['strace', ['-f', '-qq', '-o', out, '-e', 'trace=fsync,fdatasync,access,faccessat,faccessat2', process.execPath, child, ...args]]
    : [process.execPath, [child, ...args]];
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const p = spawn(cmd[0], cmd[1], { stdio: ['ignore', 'pipe', 'pipe'] });
    let so = '';
    let se = '';
    p.stdout.on('data', (d: Buffer) => (so += d.toString()));
    p.stderr.on('data', (d: Buffer) => (se += d.toString()));
    p.on('error', reject);
    p.on('close', (c) => resolve({ code: c, stdout: so, stderr: se }));
  });
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  const mainPid = Number(/^pid (\d+)$/m.exec(stdout)?.[1]);
  expect(mainPid).toBeGreaterThan(0);

  if (traced) {
    const lines = readFileSync(out, 'utf8').split('\n');
    const start = lines.findIndex((l) => l.includes(`${marker}-start`));
    const end = lines.findIndex((l) => l.includes(`${marker}-end`));
    expect(start).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    const syncs = lines.slice(start + 1, end).filter((l) => /\b(fsync|fdatasync)\(/.test(l));
    const onMain = syncs.filter((l) => Number(l.split(' ')[0]) === mainPid);
    const elsewhere = syncs.filter((l) => Number(l.split(' ')[0]) !== mainPid);
    expect(onMain).toEqual([]);
    // one sync per batch: each write was awaited before the next, so one batch each
    expect(elsewhere.length).toBe(WRITES);
  }

  const store = openStore({ dataDir: dir, synchronous: 'FULL', cacheSizeKiB: 1024, busyTimeoutMs: 1000 });
  expect(store.users.list()).toHaveLength(WRITES + 1);
  // the connection is back at FULL after a group commit
  await store.grouped(() => store.users.add('last', computeHa1('last', 'wal.test', 'pw'), 'wal.test'));
  expect(store.settings().synchronous).toBe(2);
  store.close();
  rmSync(dir, { recursive: true, force: true });
});
