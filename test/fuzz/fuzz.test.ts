// Issue 11 item 3: the fixed-seed pass of every fuzz harness (modest runs, same inputs every
// time), and every saved failure in test/fixtures/fuzz/ replayed as a regression test.
// Long random runs: `npm run fuzz -- --runs N [--only parser]` (scripts/fuzz.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HARNESSES } from './harnesses';
import { FIXTURE_DIR, replays, runProperty, ROOT } from './runner';

const SEED = 20261111;

describe.each(HARNESSES.map((h) => [h.parser, h] as const))('fuzz %s', (_name, h) => {
  test.each(h.properties.map((p) => [p.name, p] as const))('fixed seed: %s', (_p, p) => {
    const r = runProperty(h.parser, p, p.quickRuns ?? 100, SEED);
    if (r.failed) throw new Error(`${h.parser}/${p.name} seed ${SEED}: ${r.error}\ninput: ${JSON.stringify(r.counterexample)?.slice(0, 2000)}`);
    expect(r.runs).toBe(p.quickRuns ?? 100);
  });

  const saved = replays(h);
  if (saved.length > 0) {
    test.each(saved.map((s) => [path.relative(ROOT, s.file), s.property.name, s] as const))('regression %s (%s)', (_f, _p, s) => {
      s.property.check(s.input);
    });
  }
});

test('every saved failure belongs to a harness and is replayed (a .bin or a .json, nothing else)', () => {
  const parsers = new Set(HARNESSES.map((h) => h.parser));
  for (const dir of fs.existsSync(FIXTURE_DIR) ? fs.readdirSync(FIXTURE_DIR) : []) {
    expect([dir, parsers.has(dir)]).toEqual([dir, true]);
    for (const f of fs.readdirSync(path.join(FIXTURE_DIR, dir))) expect(f).toMatch(/^[0-9a-f]{16}\.(bin|json)$/);
  }
});
