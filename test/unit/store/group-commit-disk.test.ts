// Group commit with the sync off the event loop (DiskSync): a batch commits without waiting
// for the disk, and its promises settle only once the journal sync reports done; one sync at
// a time, writes that come meanwhile share the next commit; a failed sync acknowledges nothing.
import { GroupCommit, type DiskSync } from '../../../src/store/group-commit';

function harness() {
  const log: string[] = [];
  const syncs: ((err: Error | null) => void)[] = [];
  const disk: DiskSync = {
    transaction: (fn) => {
      log.push('commit-unsynced');
      fn();
    },
    sync: (done) => {
      log.push('sync');
      syncs.push(done);
    },
  };
  const durable = (fn: () => void): void => {
    log.push('tx');
    fn();
  };
  const gc = new GroupCommit(durable, { windowMs: 0, maxBatch: 100 }, disk);
  return { gc, log, syncs };
}

const turn = () => new Promise((r) => setImmediate(r));

test('a batch settles only after its sync is done, not at COMMIT', async () => {
  const { gc, log, syncs } = harness();
  let done = false;
  const w = gc.write(() => log.push('w1')).then(() => (done = true));
  await turn();
  expect(log).toEqual(['commit-unsynced', 'tx', 'w1', 'sync']);
  await turn();
  expect(done).toBe(false);
  expect(gc.stats.commits).toBe(0);
  syncs[0]!(null);
  await w;
  expect(gc.stats).toEqual({ commits: 1, writes: 1, failed: 0 });
});

test('one sync at a time: writes that come while it runs share the next commit', async () => {
  const { gc, log, syncs } = harness();
  const a = gc.write(() => log.push('a'));
  await turn();
  const b = gc.write(() => log.push('b'));
  const c = gc.write(() => log.push('c'));
  await turn();
  await turn();
  // b and c wait: no second commit while the first sync is in flight
  expect(log.filter((l) => l === 'commit-unsynced')).toHaveLength(1);
  syncs[0]!(null);
  await a;
  expect(log.filter((l) => l === 'commit-unsynced')).toHaveLength(2);
  syncs[1]!(null);
  await Promise.all([b, c]);
  expect(gc.stats).toEqual({ commits: 2, writes: 3, failed: 0 });
});

test('a failed sync rejects its whole batch with the error; the next batch is unaffected', async () => {
  const { gc, syncs } = harness();
  const a = gc.write(() => undefined);
  await turn();
  syncs[0]!(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
  await expect(a).rejects.toThrow(/EIO/);
  const b = gc.write(() => undefined);
  await turn();
  syncs[1]!(null);
  await b;
  expect(gc.stats).toEqual({ commits: 1, writes: 1, failed: 1 });
});

test('close() during a sync commits the queue durably at once; the batch in flight still settles on its sync', async () => {
  const { gc, log, syncs } = harness();
  const a = gc.write(() => log.push('a'));
  await turn();
  const b = gc.write(() => log.push('b'));
  gc.close();
  // the durable transaction (FULL) ran for b, without a deferred sync
  expect(log.slice(-2)).toEqual(['tx', 'b']);
  expect(syncs).toHaveLength(1);
  await b;
  syncs[0]!(null);
  await a;
  expect(gc.stats).toEqual({ commits: 2, writes: 2, failed: 0 });
  await expect(gc.write(() => undefined)).rejects.toThrow(/closed/);
});
