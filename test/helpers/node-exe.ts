// The Node that tests start child processes with. Normally this process's own binary; under
// user-mode emulation (scripts/arm64/run.sh) a child of the emulated Node cannot exec an arm64
// binary by itself (no binfmt_misc here), so TEST_NODE_COMMAND names the launcher as a JSON
// array, e.g. ["/usr/bin/qemu-aarch64", "/path/to/arm64/node"], and children run emulated too.
export interface NodeCommand {
  exe: string;
  /** arguments that go before the script */
  pre: string[];
}

export function nodeCommand(env: NodeJS.ProcessEnv = process.env): NodeCommand {
  const raw = env.TEST_NODE_COMMAND;
  if (raw === undefined || raw === '') return { exe: process.execPath, pre: [] };
  const parsed: unknown = JSON.parse(raw);
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((s) => typeof s === 'string')) {
    throw new Error('TEST_NODE_COMMAND must be a JSON array of strings, e.g. ["qemu-aarch64","/path/node"]');
  }
  const [exe, ...pre] = parsed as string[];
  return { exe, pre };
}

/** Spawn arguments for running `script args...` with the test Node. */
export function nodeArgs(script: string, args: string[] = []): [string, string[]] {
  const n = nodeCommand();
  return [n.exe, [...n.pre, script, ...args]];
}

/**
 * Emulation runs everything several times slower: TEST_TIME_SCALE (default 1) multiplies
 * the helpers' waiting bounds. Bounds only: no test asserts a duration.
 */
export function timeScale(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.TEST_TIME_SCALE ?? '1');
  return Number.isFinite(v) && v >= 1 ? v : 1;
}

/** A waiting bound or a test's own timer (ms) scaled by TEST_TIME_SCALE; unchanged natively. */
export function scaled(ms: number, env: NodeJS.ProcessEnv = process.env): number {
  return Math.round(ms * timeScale(env));
}
