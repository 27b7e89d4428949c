/**
 * Validates one layer of configuration (board profile, file, environment,
 * flags) against the schema and turns the first problem into a ConfigError
 * that names the key, the source and what is allowed.
 */
import * as v from 'valibot';
import { ConfigError, closest, didYouMean } from './errors';
import type { KeyTable } from './keys';
import { configSchema } from './schema';

export interface LayerSource {
  /** Shown first in messages: "config file /etc/imedge.yaml", "environment", ... */
  readonly name: string;
  /** The name a user typed for a key path (the path itself, an env variable, a flag). */
  readonly keyOf: (path: string) => string;
}

function render(value: unknown): string {
  let s: string;
  try {
    s = value === undefined ? 'undefined' : JSON.stringify(value);
  } catch {
    s = String(value);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function valueAt(input: unknown, path: readonly string[]): unknown {
  let cur: unknown = input;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function isUnknownKey(issue: v.BaseIssue<unknown>): boolean {
  return issue.type === 'strict_object' && issue.expected === 'never';
}

function pathOf(issue: v.BaseIssue<unknown>): string[] {
  return (issue.path ?? []).map((p) => String(p.key));
}

function unknownKeyError(table: KeyTable, path: string, source: LayerSource): ConfigError {
  const known = [...table.keys.map((k) => k.path), ...table.sections.map((s) => s.path)];
  const hint = didYouMean(closest(path, known, '.'));
  return new ConfigError(source.keyOf(path), `${source.name}: unknown key "${path}"${hint}`, source.name);
}

function badValueError(table: KeyTable, input: unknown, segments: string[], source: LayerSource): ConfigError {
  // An issue inside a list (auth.algorithms.0) belongs to the list key.
  let n = segments.length;
  while (n > 0 && !table.byPath.has(segments.slice(0, n).join('.')) && !table.sections.some((s) => s.path === segments.slice(0, n).join('.'))) n--;
  const keySegments = segments.slice(0, n);
  const path = keySegments.join('.');
  const leaf = table.byPath.get(path);
  const allowed = leaf?.allowed ?? (path === '' ? 'a mapping of configuration keys' : `a mapping of ${path}.* keys`);
  const label = path === '' ? 'the top level' : source.keyOf(path) === path ? path : `${source.keyOf(path)} (${path})`;
  const got = render(valueAt(input, keySegments));
  return new ConfigError(
    path === '' ? source.keyOf('') : source.keyOf(path),
    `${source.name}: ${label} = ${got} is not allowed; allowed: ${allowed}`,
    source.name,
  );
}

/** Throws a ConfigError for the first problem of `input`; unknown keys are reported first. */
export function validateLayer(table: KeyTable, input: unknown, source: LayerSource): void {
  // valibot's strictObject takes a list for an object: refuse lists where a mapping belongs.
  for (const where of ['', ...table.sections.map((s) => s.path)]) {
    const segments = where === '' ? [] : where.split('.');
    if (Array.isArray(valueAt(input, segments))) throw badValueError(table, input, segments, source);
  }
  const result = v.safeParse(configSchema, input);
  if (result.success) return;
  const issues = [...result.issues].sort((a, b) => Number(isUnknownKey(b)) - Number(isUnknownKey(a)));
  const first = issues[0];
  if (first === undefined) return;
  const segments = pathOf(first);
  if (isUnknownKey(first)) throw unknownKeyError(table, segments.join('.'), source);
  throw badValueError(table, input, segments, source);
}

/** Parses the merged layers into the full configuration (defaults filled in). */
export function parseMerged(table: KeyTable, input: unknown): v.InferOutput<typeof configSchema> {
  validateLayer(table, input, { name: 'merged configuration', keyOf: (p) => p });
  return v.parse(configSchema, input);
}
