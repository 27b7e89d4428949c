// Group commit: writes of one batch window share one transaction (one fsync with
// synchronous=FULL); each promise settles only after COMMIT, so an acknowledgement sent
// after it is durable; one failing write does not undo the rest of its batch.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../../../src/store';

const base = { kind: '1-1' as const, state: 'confirmed' as const, caller: 'alice', callee: 'bob', callerLeg: '{}', calleeLeg: null, createdAt: 1, updatedAt: 1 };

function setup(batchWindowMs: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imedge-gc-'));
  const store = openStore({ dataDir: dir, synchronous: 'FULL', cacheSizeKiB: 1024, busyTimeoutMs: 1000, batchWindowMs });
  return { dir, store };
}

test('writes queued in one window share one commit and are readable by another connection once resolved', async () => {
  const { dir, store } = setup(5);
  const writes = Array.from({ length: 20 }, (_, i) => store.grouped(() => store.sessions.save({ id: `s${i}`, ...base })));
  expect(store.groupCommitStats.commits).toBe(0);
  await Promise.all(writes);
  expect(store.groupCommitStats).toEqual({ commits: 1, writes: 20, failed: 0 });
  // another connection (a restart, in effect) sees every acknowledged row
  const other = new Database(store.path, { readonly: true });
  expect((other.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n).toBe(20);
  other.close();
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('window 0: the writes of one event-loop turn share a commit; a later turn gets its own', async () => {
  const { dir, store } = setup(0);
  await Promise.all([store.grouped(() => store.sessions.save({ id: 'a', ...base })), store.grouped(() => store.sessions.save({ id: 'b', ...base }))]);
  await store.grouped(() => store.sessions.save({ id: 'c', ...base }));
  expect(store.groupCommitStats.commits).toBe(2);
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a failing write is rejected with its own error; the others of its batch commit', async () => {
  const { dir, store } = setup(1);
  const good = store.grouped(() => store.sessions.save({ id: 'ok', ...base }));
  const bad = store.grouped(() => store.sessions.save({ id: 'big', ...base, callerLeg: 'x'.repeat(70_000) }));
  const good2 = store.grouped(() => store.sessions.save({ id: 'ok2', ...base }));
  await expect(bad).rejects.toThrow(/larger than/);
  await good;
  await good2;
  expect(store.sessions.live().map((s) => s.id).sort()).toEqual(['ok', 'ok2']);
  expect(store.groupCommitStats).toEqual({ commits: 1, writes: 2, failed: 1 });
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('close() commits what is queued; later writes are refused', async () => {
  const { dir, store } = setup(50);
  const w = store.grouped(() => store.sessions.save({ id: 'late', ...base }));
  store.close();
  await w;
  await expect(store.grouped(() => undefined)).rejects.toThrow(/closed/);
  const again = openStore({ dataDir: dir, synchronous: 'FULL', cacheSizeKiB: 1024, busyTimeoutMs: 1000 });
  expect(again.sessions.get('late')?.id).toBe('late');
  again.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a deferred write schedules no commit of its own: it rides in the next batch, in queue order', async () => {
  const { dir, store } = setup(1);
  await store.grouped(() => store.sessions.save({ id: 'gone', ...base }));
  expect(store.groupCommitStats.commits).toBe(1);
  let removed = false;
  const removal = store.grouped(() => void store.sessions.remove('gone'), { deferred: true }).then(() => (removed = true));
  await new Promise((r) => setTimeout(r, 50));
  // well past the batch window: nothing committed for the deferred write alone
  expect(store.groupCommitStats.commits).toBe(1);
  expect(removed).toBe(false);
  await store.grouped(() => store.sessions.save({ id: 'next', ...base }));
  await removal;
  expect(store.groupCommitStats).toEqual({ commits: 2, writes: 3, failed: 0 });
  expect(store.sessions.live().map((r) => r.id)).toEqual(['next']);
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a deferred write alone commits after deferredMs, and at close', async () => {
  const { dir, store } = setup(1);
  await store.grouped(() => store.sessions.save({ id: 'a', ...base }));
  await store.grouped(() => void store.sessions.remove('a'), { deferred: true }); // resolves after its own commit (<= 1 s)
  expect(store.groupCommitStats.commits).toBe(2);
  await store.grouped(() => store.sessions.save({ id: 'b', ...base }));
  const pending = store.grouped(() => void store.sessions.remove('b'), { deferred: true });
  store.close();
  await pending;
  const other = new Database(store.path, { readonly: true });
  expect((other.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n).toBe(0);
  other.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
