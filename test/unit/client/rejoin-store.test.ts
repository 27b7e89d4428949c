import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RejoinStore } from '../../../src/client/rejoin-store';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imedge-rejoin-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('OMA IM 7.1.1.12 note: an identity stays rejoinable for the window, then expires (7.1.1.9 step 1)', () => {
  const c = clock();
  const s = new RejoinStore({ windowMs: 300_000, maxEntries: 8, now: c.now });
  s.put('sip:focus@10.0.0.1;isfocus', 'sip:bob@localhost');
  c.advance(299_999);
  expect(s.get('sip:focus@10.0.0.1;isfocus')).toEqual({ sessionId: 'sip:focus@10.0.0.1;isfocus', peer: 'sip:bob@localhost', storedAt: 1_000_000 });
  c.advance(1);
  expect(s.get('sip:focus@10.0.0.1;isfocus')).toBeUndefined();
  expect(s.list()).toEqual([]);
});

test('bounded: the oldest entries go first; storing again refreshes an entry', () => {
  const c = clock();
  const s = new RejoinStore({ windowMs: 60_000, maxEntries: 3, now: c.now });
  for (const id of ['a', 'b', 'c']) {
    s.put(`sip:${id}@x`, 'p');
    c.advance(10);
  }
  s.put('sip:a@x', 'p'); // refreshed: now the newest
  s.put('sip:d@x', 'p');
  expect(s.list().map((e) => e.sessionId)).toEqual(['sip:c@x', 'sip:a@x', 'sip:d@x']);
});

test('persisted to its JSON file and read back by a new store; expired entries are not revived', () => {
  const file = path.join(dir, 'sub', 'rejoin.json');
  const c = clock();
  const s1 = new RejoinStore({ file, windowMs: 1000, maxEntries: 4, now: c.now });
  s1.put('sip:old@x', 'sip:p1@x');
  c.advance(600);
  s1.put('sip:new@x', 'sip:p2@x');
  const s2 = new RejoinStore({ file, windowMs: 1000, maxEntries: 4, now: c.now });
  expect(s2.list().map((e) => e.sessionId)).toEqual(['sip:old@x', 'sip:new@x']);
  c.advance(500);
  const s3 = new RejoinStore({ file, windowMs: 1000, maxEntries: 4, now: c.now });
  expect(s3.list().map((e) => e.sessionId)).toEqual(['sip:new@x']);
  // the file itself was pruned
  expect(JSON.parse(fs.readFileSync(file, 'utf8')).sessions).toHaveLength(1);
  s3.remove('sip:new@x');
  expect(new RejoinStore({ file, windowMs: 1000, maxEntries: 4, now: c.now }).list()).toEqual([]);
});

test('a damaged or foreign file is ignored, not fatal; a loaded file is cut to maxEntries', () => {
  const file = path.join(dir, 'rejoin.json');
  fs.writeFileSync(file, '{not json');
  expect(new RejoinStore({ file, windowMs: 1000, maxEntries: 2 }).list()).toEqual([]);
  const now = Date.now();
  fs.writeFileSync(file, JSON.stringify({ sessions: [
    { sessionId: 'sip:1@x', peer: 'p', storedAt: now },
    { sessionId: 2, peer: 'p', storedAt: now },
    { sessionId: 'sip:3@x', peer: 'p', storedAt: now },
    { sessionId: 'sip:4@x', peer: 'p', storedAt: now },
  ] }));
  expect(new RejoinStore({ file, windowMs: 60_000, maxEntries: 2 }).list().map((e) => e.sessionId)).toEqual(['sip:3@x', 'sip:4@x']);
});

test('memory-only without a file; bad limits are refused', () => {
  const s = new RejoinStore({ windowMs: 1000, maxEntries: 1 });
  s.put('sip:a@x', 'p');
  expect(s.list()).toHaveLength(1);
  expect(() => new RejoinStore({ windowMs: 0, maxEntries: 1 })).toThrow(RangeError);
  expect(() => new RejoinStore({ windowMs: 1, maxEntries: 0 })).toThrow(RangeError);
});
