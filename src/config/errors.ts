/** The one error type of configuration loading, and "did you mean" hints. */

export class ConfigError extends Error {
  /** The offending key path ("sip.port"), environment variable or flag ("--sip-port"). */
  readonly key: string;
  /** Where the bad input came from (a file path, "environment", "flags"), when known. */
  readonly source: string | undefined;

  constructor(key: string, message: string, source?: string) {
    super(message);
    this.name = 'ConfigError';
    this.key = key;
    this.source = source;
  }
}

// Case, "_" and "-" do not matter when guessing what was meant:
// max_content_length and MAXCONTENTLENGTH both mean maxContentLength.
function normal(s: string): string {
  return s.toLowerCase().replace(/[_-]/g, '');
}

/** Edit distance with adjacent transpositions (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [];
    for (let j = 0; j <= b.length; j++) {
      if (i === 0 || j === 0) {
        row.push(i + j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((d[i - 1]?.[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (d[i - 1]?.[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (d[i - 2]?.[j - 2] ?? 0) + 1);
      }
      row.push(best);
    }
    d.push(row);
  }
  return d[a.length]?.[b.length] ?? 0;
}

/**
 * The candidate `wrong` most probably meant, or undefined when there is no
 * single obvious one: a close spelling of the whole name, else the only known
 * name whose last segment matches (a key put in the wrong section).
 */
export function closest(wrong: string, candidates: readonly string[], separator: string): string | undefined {
  const w = normal(wrong);
  const limit = w.length <= 4 ? 1 : w.length <= 12 ? 2 : 3;
  let best: string[] = [];
  let bestDistance = limit + 1;
  for (const c of candidates) {
    const dist = editDistance(w, normal(c));
    if (dist < bestDistance) {
      best = [c];
      bestDistance = dist;
    } else if (dist === bestDistance) {
      best.push(c);
    }
  }
  if (best.length === 1) return best[0];
  const tail = normal(wrong.split(separator).pop() ?? '');
  const sameTail = candidates.filter((c) => normal(c.split(separator).pop() ?? '') === tail);
  return sameTail.length === 1 ? sameTail[0] : undefined;
}

export function didYouMean(suggestion: string | undefined): string {
  return suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`;
}
