// `npm run fuzz -- [--runs N] [--only parser[,parser]] [--seed S]`: every fuzz harness of
// test/fuzz run long with random seeds (issue 11 item 3). A failing input is written to
// test/fixtures/fuzz/<parser>/<hash>.bin|.json, where `npm test` replays it from then on.
// Exit status 1 when anything failed.
import { HARNESSES } from '../test/fuzz/harnesses';
import { runProperty, saveFailure, type RunResult } from '../test/fuzz/runner';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

const runs = Number(arg('runs') ?? 10000);
const only = arg('only')?.split(',');
const fixedSeed = arg('seed');
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs N: a positive integer');
const chosen = HARNESSES.filter((h) => only === undefined || only.includes(h.parser));
if (chosen.length === 0) throw new Error(`--only: none of ${HARNESSES.map((h) => h.parser).join(', ')}`);

const results: RunResult[] = [];
for (const h of chosen) {
  for (const p of h.properties) {
    const seed = fixedSeed !== undefined ? Number(fixedSeed) : (Math.random() * 2 ** 31) | 0;
    const r = runProperty(h.parser, p, runs, seed);
    results.push(r);
    let line = `${h.parser.padEnd(16)} ${p.name.padEnd(26)} runs ${String(r.runs).padStart(7)}  seed ${String(seed).padStart(10)}  ${(r.ms / 1000).toFixed(1).padStart(6)} s  `;
    if (r.failed) line += `FAILED: ${r.error}\n  saved ${saveFailure(h.parser, p, r.counterexample)}`;
    else line += 'ok';
    console.log(line);
  }
}
const failed = results.filter((r) => r.failed).length;
console.log(JSON.stringify({ msg: 'fuzz done', properties: results.length, failed, runs: results.reduce((n, r) => n + r.runs, 0) }));
process.exitCode = failed > 0 ? 1 : 0;
