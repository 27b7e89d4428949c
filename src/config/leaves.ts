/**
 * Builders for the leaves of the configuration schema. Each leaf carries its
 * type, bounds, default and one line of documentation (valibot `description`),
 * and, where a string has a rule, a human sentence of what is allowed
 * (valibot `metadata({ allowed })`) so error messages and the README table
 * are generated from the same place as the validation.
 */
import * as v from 'valibot';

/** An integer in [min, max]. */
export function int(def: number, min: number, max: number, doc: string) {
  return v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max), v.description(doc)),
    def,
  );
}

/** A finite number in [min, max]. */
export function num(def: number, min: number, max: number, doc: string) {
  return v.optional(
    v.pipe(v.number(), v.finite(), v.minValue(min), v.maxValue(max), v.description(doc)),
    def,
  );
}

export function bool(def: boolean, doc: string) {
  return v.optional(v.pipe(v.boolean(), v.description(doc)), def);
}

/** One of a fixed list of strings. */
export function oneOf<const T extends readonly [string, ...string[]]>(options: T, def: T[number], doc: string) {
  return v.optional(v.pipe(v.picklist(options), v.description(doc)), def);
}

/** A non-empty list of distinct values taken from a fixed list of strings. */
export function listOf<const T extends readonly [string, ...string[]]>(
  options: T,
  def: readonly T[number][],
  doc: string,
) {
  return v.optional(
    v.pipe(
      v.array(v.picklist(options)),
      v.minLength(1),
      v.maxLength(options.length),
      v.check((items) => new Set(items).size === items.length, 'duplicate entries'),
      v.description(doc),
    ),
    () => [...def],
  );
}

/** A string no longer than maxLength that satisfies `ok`, described by `allowed`. */
export function str(
  def: string,
  doc: string,
  rule: { maxLength: number; allowed: string; ok?: (s: string) => boolean },
) {
  const ok = rule.ok ?? (() => true);
  return v.optional(
    v.pipe(
      v.string(),
      v.maxLength(rule.maxLength),
      v.check(ok, rule.allowed),
      v.description(doc),
      v.metadata({ allowed: rule.allowed }),
    ),
    def,
  );
}

/** A nested section; every key inside it has a default, so the section may be omitted. */
export function section<const E extends v.ObjectEntries>(doc: string, entries: E) {
  // Every entry is optional, so {} is a valid input; valibot cannot see that
  // through the generic, hence the cast.
  const empty = (): never => ({}) as never;
  return v.optional(v.pipe(v.strictObject(entries), v.description(doc)), empty);
}
