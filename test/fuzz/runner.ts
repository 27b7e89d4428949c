// Shared fuzz runner (issue 11 item 3). One harness file per parser under harnesses/; each
// exports properties. The jest test (fuzz.test.ts) runs every property with a fixed seed and
// few runs and replays every saved failure in test/fixtures/fuzz/; `npm run fuzz` (scripts/fuzz.ts)
// runs them long with random seeds and saves each failing input there.
// No jest here: scripts/fuzz.ts compiles this file with tsc and runs it under plain node.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';

export interface FuzzProperty<T = unknown> {
  /** e.g. 'garbage', 'round-trip', 'any-split' */
  readonly name: string;
  readonly arbitrary: fc.Arbitrary<T>;
  /** Throws when the property does not hold for `input`. */
  readonly check: (input: T) => void;
  /** The input is one Buffer: saved failures are .bin files, and every .bin of the parser is replayed through it. */
  readonly bytes?: boolean;
  /** Runs of the fixed-seed pass in `npm test` (default 100): keeps the whole set fast. */
  readonly quickRuns?: number;
}

export interface Harness {
  /** Folder name under test/fixtures/fuzz/ */
  readonly parser: string;
  readonly properties: readonly FuzzProperty<any>[];
}

/** The repository root, whether run from test/ (ts-jest) or from dist/ (npm run fuzz). */
export const ROOT = ((): string => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
})();
export const FIXTURE_DIR = path.join(ROOT, 'test/fixtures/fuzz');

/** Runs `fn`; an error that is one of `allowed` is the parser's own refusal, anything else is rethrown. */
export function onlyTyped(fn: () => unknown, ...allowed: (abstract new (...a: any[]) => Error)[]): void {
  try {
    fn();
  } catch (err) {
    if (allowed.some((c) => err instanceof c)) return;
    throw err;
  }
}

// Failing inputs: a Buffer is kept raw (.bin, replayed by every property whose input is bytes);
// anything else as JSON {property, input} with Buffers as {"$b64": "..."}.
const replacer = (_k: string, v: unknown): unknown => {
  if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
    return { $b64: Buffer.from((v as { data: number[] }).data).toString('base64') };
  }
  if (v instanceof Uint8Array) return { $b64: Buffer.from(v).toString('base64') };
  return v;
};
const reviver = (_k: string, v: unknown): unknown =>
  v && typeof v === 'object' && typeof (v as { $b64?: unknown }).$b64 === 'string' ? Buffer.from((v as { $b64: string }).$b64, 'base64') : v;

export function saveFailure(parser: string, p: Pick<FuzzProperty, 'name' | 'bytes'>, input: unknown): string {
  const property = p.name;
  const dir = path.join(FIXTURE_DIR, parser);
  fs.mkdirSync(dir, { recursive: true });
  const isBytes = p.bytes === true && Buffer.isBuffer(input);
  const data = isBytes ? (input as Buffer) : Buffer.from(JSON.stringify({ property, input }, replacer, 1) + '\n');
  const hash = createHash('sha256').update(data).digest('hex').slice(0, 16);
  const file = path.join(dir, `${hash}.${isBytes ? 'bin' : 'json'}`);
  fs.writeFileSync(file, data);
  return file;
}

export interface Replay {
  readonly file: string;
  readonly property: FuzzProperty<any>;
  readonly input: unknown;
}

/** Every saved failure of a harness, paired with the properties that replay it. */
export function replays(h: Harness): Replay[] {
  const dir = path.join(FIXTURE_DIR, h.parser);
  if (!fs.existsSync(dir)) return [];
  const out: Replay[] = [];
  for (const f of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, f);
    if (f.endsWith('.bin')) {
      const input = fs.readFileSync(file);
      // a .bin goes through every property that takes one Buffer
      for (const p of h.properties) if (p.bytes === true) out.push({ file, property: p, input });
    } else if (f.endsWith('.json')) {
      const saved = JSON.parse(fs.readFileSync(file, 'utf8'), reviver) as { property: string; input: unknown };
      const p = h.properties.find((x) => x.name === saved.property);
      if (!p) throw new Error(`${file}: no property ${saved.property} in harness ${h.parser}`);
      out.push({ file, property: p, input: saved.input });
    }
  }
  return out;
}

export interface RunResult {
  readonly parser: string;
  readonly property: string;
  readonly runs: number;
  readonly seed: number;
  readonly failed: boolean;
  readonly error?: string;
  readonly counterexample?: unknown;
  readonly ms: number;
}

export function runProperty(parser: string, p: FuzzProperty<any>, numRuns: number, seed: number): RunResult {
  const t0 = Date.now();
  const out = fc.check(
    fc.property(p.arbitrary, (x) => {
      p.check(x);
    }),
    { numRuns, seed, endOnFailure: false },
  );
  const ms = Date.now() - t0;
  if (!out.failed) return { parser, property: p.name, runs: out.numRuns, seed, failed: false, ms };
  const cx = out.counterexample?.[0];
  const error = out.errorInstance instanceof Error ? `${out.errorInstance.name}: ${out.errorInstance.message}` : String(out.errorInstance);
  return { parser, property: p.name, runs: out.numRuns, seed, failed: true, error, counterexample: cx, ms };
}
