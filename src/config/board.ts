/** Board profiles: board/<name>.yaml, partial configurations validated by the same schema. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from './errors';
import { readConfigFile } from './file';
import { keyTable } from './keys';
import { BOARD_NAME, type PartialConfig } from './schema';
import { validateLayer } from './validate';
import { deepFreeze } from './merge';

const PROFILE_EXT = '.yaml';

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The repository's board/ folder. This file runs from src/config (ts-jest) or
 * dist/src/config (compiled), so walk up to the directory holding package.json
 * and board/ rather than counting "..".
 */
export function defaultBoardDir(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const candidate = path.join(dir, 'board');
    if (existsSync(path.join(dir, 'package.json')) && isDir(candidate)) return candidate;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(from, '../../../board');
    dir = up;
  }
}

/** Names of the board profiles in boardDir, sorted. */
export function listBoards(boardDir: string = defaultBoardDir()): string[] {
  let files: string[];
  try {
    files = readdirSync(boardDir);
  } catch {
    return [];
  }
  return files
    .filter((f) => f.endsWith(PROFILE_EXT) && BOARD_NAME.test(f.slice(0, -PROFILE_EXT.length)))
    .map((f) => f.slice(0, -PROFILE_EXT.length))
    .sort();
}

/**
 * Reads and validates board/<name>.yaml. Throws ConfigError (key "board")
 * when the profile does not exist, naming the boards that do.
 */
export function loadBoardProfile(name: string, boardDir: string = defaultBoardDir()): PartialConfig {
  if (!BOARD_NAME.test(name)) {
    throw new ConfigError('board', `board name "${name}" is not allowed; allowed: lower-case letters, digits, ".", "_", "-"`);
  }
  const file = path.join(boardDir, name + PROFILE_EXT);
  if (!existsSync(file)) {
    const known = listBoards(boardDir);
    const list = known.length === 0 ? `none found in ${boardDir}` : known.join(', ');
    throw new ConfigError('board', `unknown board "${name}": no ${file}; available boards: ${list}`, file);
  }
  const layer = readConfigFile(file, 'board');
  const source = `board profile ${file}`;
  validateLayer(keyTable(), layer, { name: source, keyOf: (p) => p });
  if (typeof layer === 'object' && layer !== null && 'board' in layer) {
    throw new ConfigError('board', `${source}: a board profile cannot set "board"`, source);
  }
  return deepFreeze(layer as PartialConfig);
}
