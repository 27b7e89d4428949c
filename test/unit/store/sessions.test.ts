// Sessions aggregate: saved sessions survive a reopen and live() lists what must be
// released after a restart.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openStore } from '../../../src/store';

const open = (dir: string) => openStore({ dataDir: dir, synchronous: 'FULL', cacheSizeKiB: 1024, busyTimeoutMs: 1000 });

test('sessions survive a reopen; terminated ones are not live; counts by kind', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imedge-sess-'));
  const s1 = open(dir);
  const base = { caller: 'alice', callee: 'bob', callerLeg: '{"callId":"c1"}', calleeLeg: null, createdAt: 1, updatedAt: 1 };
  s1.sessions.save({ id: 'a', kind: '1-1', state: 'confirmed', ...base });
  s1.sessions.save({ id: 'b', kind: 'large-message', state: 'early', ...base });
  s1.sessions.save({ id: 'c', kind: '1-1', state: 'terminated', ...base });
  s1.close();
  const s2 = open(dir);
  expect(s2.sessions.live().map((s) => s.id)).toEqual(['a', 'b']);
  expect(s2.sessions.countByKind()).toEqual({ '1-1': 1, 'large-message': 1 });
  expect(s2.sessions.get('a')?.callerLeg).toBe('{"callId":"c1"}');
  expect(s2.sessions.remove('a')).toBe(true);
  expect(s2.sessions.live().map((s) => s.id)).toEqual(['b']);
  s2.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
