/**
 * loadConfig in a short-lived child process, for `imedge serve` (issue 14 item 4). Reading and
 * validating the configuration needs yaml, valibot and the schema (~2 MB of heap with their
 * code), once; loaded in the server they would stay for its whole life. The child's memory is
 * gone when it exits, and the server gets the checked, frozen Config. (A worker thread was
 * measured too: its heap goes, but glibc keeps the thread's malloc arena, ~1.6 MB.) A
 * ConfigError keeps its key, message and source, so the command's exit code and message are
 * those of loadConfig.
 */
import { spawnSync } from 'node:child_process';
import { ConfigError } from './errors';
import { deepFreeze } from './merge';
import type { LoadOptions } from './load';
import type { Config } from './schema';

/** What the child writes on stdout: the Config, or the error loadConfig threw. */
type LoadReply =
  | { readonly ok: true; readonly config: Config }
  | { readonly ok: false; readonly configError: boolean; readonly key: string; readonly message: string; readonly source?: string };

/** The child's program: options on stdin, the reply as JSON on stdout. */
const CHILD_SOURCE = `
const [load] = process.argv.slice(1);
let reply;
try {
  const opts = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
  reply = { ok: true, config: require(load).loadConfig(opts) };
} catch (e) {
  const err = e instanceof Error ? e : new Error(String(e));
  reply = { ok: false, configError: err.name === 'ConfigError', key: String(err.key ?? ''), message: err.message, source: err.source };
}
process.stdout.write(JSON.stringify(reply));
`;

/** A configuration is a few KiB of JSON: more is not a reply. */
const MAX_REPLY_BYTES = 4 * 1024 * 1024;

/**
 * The node that runs the reader: this one. A test may name another program (one the kernel
 * cannot run, as qemu-user's arm64 node is without binfmt_misc) to take the fallback.
 */
export function loadConfigApart(opts: Omit<LoadOptions, 'env'> = {}, nodePath: string = process.execPath): Config {
  // the child inherits this process's environment and working directory, as loadConfig reads them
  const r = spawnSync(nodePath, ['-e', CHILD_SOURCE, require.resolve('./load')], {
    input: JSON.stringify(opts),
    encoding: 'utf8',
    maxBuffer: MAX_REPLY_BYTES,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const reply = replyOf(r.stdout);
  // No reply means the child never ran our program: this node cannot be exec'd by itself (an
  // arm64 node under qemu-user without binfmt_misc, scripts/arm64: the kernel says ENOEXEC and
  // glibc's execvp hands the ELF to /bin/sh, which exits 2), or it was killed. Read the
  // configuration here then, at the footprint's expense: the same loadConfig, the same errors.
  if (reply === undefined) return (require('./load') as typeof import('./load')).loadConfig(opts);
  // what the reader printed besides its reply (a node warning) is passed on as it came
  if (typeof r.stderr === 'string' && r.stderr !== '') process.stderr.write(r.stderr);
  if (reply.ok) return deepFreeze(reply.config);
  throw reply.configError ? new ConfigError(reply.key, reply.message, reply.source) : new Error(reply.message);
}

/** The child's reply, or undefined when its stdout is not one (it did not run CHILD_SOURCE). */
function replyOf(stdout: string | null | undefined): LoadReply | undefined {
  if (typeof stdout !== 'string' || stdout === '') return undefined;
  try {
    const v = JSON.parse(stdout) as unknown;
    return typeof v === 'object' && v !== null && typeof (v as { ok?: unknown }).ok === 'boolean' ? (v as LoadReply) : undefined;
  } catch {
    return undefined;
  }
}
