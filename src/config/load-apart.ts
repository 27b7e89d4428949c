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

export function loadConfigApart(opts: Omit<LoadOptions, 'env'> = {}): Config {
  // the child inherits this process's environment and working directory, as loadConfig reads them
  const r = spawnSync(process.execPath, ['-e', CHILD_SOURCE, require.resolve('./load')], {
    input: JSON.stringify(opts),
    encoding: 'utf8',
    maxBuffer: MAX_REPLY_BYTES,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  // this node cannot be exec'd by itself (an arm64 node under qemu-user without binfmt_misc,
  // scripts/arm64): read the configuration here, at the footprint's expense
  if (r.error !== undefined) return (require('./load') as typeof import('./load')).loadConfig(opts);
  let reply: LoadReply;
  try {
    reply = JSON.parse(r.stdout) as LoadReply;
  } catch {
    throw new Error(`configuration reader ended (exit ${r.status ?? r.signal}) without an answer`);
  }
  if (reply.ok) return deepFreeze(reply.config);
  throw reply.configError ? new ConfigError(reply.key, reply.message, reply.source) : new Error(reply.message);
}
