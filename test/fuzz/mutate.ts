// Garbage generators for the fuzz harnesses: raw random bytes, and valid seed inputs (real
// fixtures) mutated a few times -- flips, inserts, deletes, duplications, truncations and
// protocol tokens spliced in -- which reach much deeper into a parser than random bytes do.
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { ROOT } from './runner';

/** Files of a fixture folder (relative to the repository root) whose names match. */
export function seedFiles(dir: string, match: RegExp = /./): Buffer[] {
  const abs = path.join(ROOT, dir);
  return fs
    .readdirSync(abs)
    .filter((f) => match.test(f))
    .sort()
    .map((f) => fs.readFileSync(path.join(abs, f)));
}

type Mutation =
  | { op: 'flip'; at: number; byte: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'token'; at: number; token: number }
  | { op: 'delete'; at: number; len: number }
  | { op: 'dup'; at: number; len: number; to: number }
  | { op: 'cut'; at: number };

function mutationArb(): fc.Arbitrary<Mutation> {
  const at = fc.nat();
  return fc.oneof(
    fc.record({ op: fc.constant('flip' as const), at, byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('insert' as const), at, bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    fc.record({ op: fc.constant('token' as const), at, token: fc.nat() }),
    fc.record({ op: fc.constant('delete' as const), at, len: fc.integer({ min: 1, max: 32 }) }),
    fc.record({ op: fc.constant('dup' as const), at, len: fc.integer({ min: 1, max: 64 }), to: fc.nat() }),
    fc.record({ op: fc.constant('cut' as const), at }),
  );
}

function apply(buf: Buffer, m: Mutation, tokens: readonly Buffer[]): Buffer {
  const n = buf.length;
  const at = n === 0 ? 0 : m.at % (n + 1);
  switch (m.op) {
    case 'flip':
      if (n === 0) return Buffer.from([m.byte]);
      return Buffer.concat([buf.subarray(0, at % n), Buffer.from([m.byte]), buf.subarray((at % n) + 1)]);
    case 'insert':
      return Buffer.concat([buf.subarray(0, at), Buffer.from(m.bytes), buf.subarray(at)]);
    case 'token':
      return tokens.length === 0 ? buf : Buffer.concat([buf.subarray(0, at), tokens[m.token % tokens.length]!, buf.subarray(at)]);
    case 'delete':
      return Buffer.concat([buf.subarray(0, at), buf.subarray(at + m.len)]);
    case 'dup': {
      const piece = buf.subarray(at, at + m.len);
      const to = n === 0 ? 0 : m.to % (n + 1);
      return Buffer.concat([buf.subarray(0, to), piece, buf.subarray(to)]);
    }
    case 'cut':
      return buf.subarray(0, at);
  }
}

/**
 * Bytes for a garbage property: a third random, the rest a seed with 1-6 mutations.
 * `tokens` are protocol fragments (delimiters, header names, numbers at the edges).
 */
export function garbageArb(seeds: readonly Buffer[], tokens: readonly string[] = [], maxRandom = 512): fc.Arbitrary<Buffer> {
  const toks = tokens.map((t) => Buffer.from(t, 'latin1'));
  const random = fc.uint8Array({ maxLength: maxRandom }).map((a) => Buffer.from(a));
  if (seeds.length === 0) return random;
  const mutated = fc
    .tuple(fc.nat({ max: seeds.length - 1 }), fc.array(mutationArb(), { minLength: 1, maxLength: 6 }))
    .map(([i, ms]) => ms.reduce((b, m) => apply(b, m, toks), seeds[i]!));
  const tokenSoup = fc.array(fc.nat({ max: Math.max(0, toks.length - 1) }), { maxLength: 40 }).map((ix) => Buffer.concat(ix.map((i) => toks[i] ?? Buffer.alloc(0))));
  return fc.oneof({ weight: 1, arbitrary: random }, { weight: 4, arbitrary: mutated }, { weight: 1, arbitrary: tokenSoup });
}

/** Cut points for an any-split property. */
export const cutsArb = fc.array(fc.nat(), { maxLength: 12 });

export function splitAt(buf: Buffer, cuts: readonly number[]): Buffer[] {
  const pts = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of pts) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}
