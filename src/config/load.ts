/**
 * Resolves the configuration. Lowest to highest precedence:
 * embedded defaults < board profile < config file < environment < flags.
 */
import path from 'node:path';
import * as v from 'valibot';
import { defaultBoardDir, loadBoardProfile } from './board';
import { envLayer } from './env';
import { readConfigFile } from './file';
import { flagsLayer, type FlagValues } from './flags';
import { CONFIG_FILE_ENV, keyTable } from './keys';
import { deepFreeze, mergeLayers, type Layer } from './merge';
import { checkRules } from './rules';
import { configSchema, type Config } from './schema';
import { parseMerged, validateLayer } from './validate';

/** The embedded defaults (what `npm start` serves with and no board profile applied). */
export const DEFAULT_CONFIG: Config = deepFreeze(v.parse(configSchema, {}));

export interface LoadOptions {
  flags?: Partial<FlagValues>;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Base of relative paths (config file, dataDir); defaults to process.cwd(). */
  cwd?: string;
  /** Folder of board profiles; defaults to the repository's board/. */
  boardDir?: string;
}

function fileLayer(flags: Partial<FlagValues>, env: NodeJS.ProcessEnv, cwd: string): Layer {
  const [key, given] = flags.config !== undefined ? ['--config', flags.config] : [CONFIG_FILE_ENV, env[CONFIG_FILE_ENV]];
  if (given === undefined) return {};
  const file = path.resolve(cwd, given);
  const layer = readConfigFile(file, key);
  validateLayer(keyTable(), layer, { name: `config file ${file}`, keyOf: (p) => p });
  return layer as Layer;
}

function boardName(layers: readonly Layer[]): string {
  for (const layer of layers) {
    if (typeof layer['board'] === 'string') return layer['board'];
  }
  return DEFAULT_CONFIG.board;
}

/** Loads, merges and validates the configuration; throws ConfigError naming the bad key. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const flags = opts.flags ?? {};
  const table = keyTable();

  const fromFlags = flagsLayer(table, flags);
  const fromEnv = envLayer(table, env);
  const fromFile = fileLayer(flags, env, cwd);
  const board = boardName([fromFlags, fromEnv, fromFile]);
  const fromBoard = loadBoardProfile(board, opts.boardDir ?? defaultBoardDir());

  const merged = mergeLayers([fromBoard, fromFile, fromEnv, fromFlags, { board }]);
  const parsed = parseMerged(table, merged);
  // Relative file names are taken from the working directory, like dataDir.
  const file = (f: string): string => (f === '' ? f : path.resolve(cwd, f));
  const tls = { ...parsed.tls, cert: file(parsed.tls.cert), key: file(parsed.tls.key), ca: file(parsed.tls.ca) };
  const resolved: Config = { ...parsed, dataDir: path.resolve(cwd, parsed.dataDir), tls };
  checkRules(resolved);
  return deepFreeze(resolved);
}
