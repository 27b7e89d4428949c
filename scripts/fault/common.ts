// Shared bits of the fault scripts (issue 11 item 6): argument parsing, waiting, and the
// report line. Each script exports its run function (the jest wrapper calls it with a reduced
// count) and runs it from the command line when it is the main module.

export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

export function intArg(name: string, def: number): number {
  const v = arg(name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} N: a positive integer`);
  return n;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls pred until true; throws naming what was awaited after `ms`. */
export async function until(pred: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`fault test: ${what}: not within ${ms} ms`);
    await sleep(20);
  }
}

/** Runs main() when the script is run directly; the figures go to stdout as one JSON line. */
export function runMain(mod: NodeModule, main: () => Promise<unknown>): void {
  if (require.main !== mod) return;
  main().then(
    (figures) => {
      process.stdout.write(`${JSON.stringify(figures)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
