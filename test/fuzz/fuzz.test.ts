// Issue 11 item 3: the fixed-seed pass of every fuzz harness (modest runs, same inputs every
// time), and every saved failure in test/fixtures/fuzz/ replayed as a regression test.
// Long random runs: `npm run fuzz -- --runs N [--only parser]` (scripts/fuzz.ts).
import * as path from 'node:path';
import { HARNESSES } from './harnesses';
import { replays, runProperty, ROOT } from './runner';

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
