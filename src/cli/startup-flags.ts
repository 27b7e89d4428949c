// V8 settings for start-up only (issue 14 item 4). Loading the server runs a lot of code once
// (module bodies, building the server): TurboFan compiling what is hot during
// that one pass, and new space growing to hold its survivors, cost ~10 MB of RSS that an idle
// server keeps (measured: fresh `imedge serve` 72.7 -> 63 MB). So start-up runs without
// TurboFan and sized for memory; at the first SIP request or MSRP frame (serve.ts) the defaults
// come back, and the hot paths (MSRP relay, SIP) are optimized under traffic as before; an idle
// server never loads the optimizing compiler's code (~3 MB of RSS). This module must be the first
// import of the command, so that it runs before any other module loads.
import { setFlagsFromString } from 'node:v8';

/** Flag (without its `--no-` form or value) -> its setting during start-up, and V8's default. */
const DURING_STARTUP: readonly (readonly [name: string, startup: string, normal: string])[] = [
  ['turbofan', '--no-turbofan', '--turbofan'],
  ['optimize-for-size', '--optimize-for-size', '--no-optimize-for-size'],
  // V8's memory reducer (up to 3 compacting GCs once allocation calms down) first looks 8 s
  // after the first full GC: the start-up's garbage and heap pages were still held 3 s after
  // listening (bench --only=idle: 55.8 MB, 52.7 MB once it ran). Looking after 1.5 s, it runs
  // once start-up is over (x86: right after listening); if start-up still allocates then, it
  // waits 8 s more, as before. (At 0.5 s it looked too early on a loaded machine, 2 runs in 5.)
  ['gc-memory-reducer-start-delay-ms', '--gc-memory-reducer-start-delay-ms=1500', '--gc-memory-reducer-start-delay-ms=8000'],
];

/** Flags the operator set (node options, NODE_OPTIONS): never overridden. */
function operatorSet(name: string): boolean {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const forms = [`--${name}`, `--no-${name}`, `--${name.replace(/-/g, '_')}`, `--no-${name.replace(/-/g, '_')}`];
  // --opt is V8's alias of --turbofan
  if (name === 'turbofan') forms.push('--opt', '--no-opt', '--jitless');
  return given.some((a) => forms.includes(a) || forms.some((f) => a.startsWith(`${f}=`)));
}

const applied = DURING_STARTUP.filter(([name]) => !operatorSet(name));
for (const [, startup] of applied) setFlagsFromString(startup);

/** Back to V8's defaults for what start-up changed; call at the first traffic. Idempotent. */
export function endStartup(): void {
  for (const [, , normal] of applied.splice(0)) setFlagsFromString(normal);
}
