/**
 * The environment layer: IMEDGE_<PATH> variables, strings converted to the
 * type of their key. A variable that maps to no key is an error.
 */
import { ConfigError, closest, didYouMean } from './errors';
import { CONFIG_FILE_ENV, type KeyInfo, type KeyTable } from './keys';
import { setPath, type Layer } from './merge';
import { validateLayer } from './validate';

const PREFIX = 'IMEDGE_';

/**
 * Converts a string to the type of `key`. A string that does not convert is
 * returned unchanged so the schema rejects it with the usual message.
 */
export function convertString(key: KeyInfo, raw: string): unknown {
  const s = raw.trim();
  switch (key.kind) {
    case 'integer':
      return /^[+-]?\d+$/.test(s) ? Number(s) : raw;
    case 'number':
      return /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(s) ? Number(s) : raw;
    case 'boolean':
      if (s === 'true' || s === '1') return true;
      if (s === 'false' || s === '0') return false;
      return raw;
    case 'enum-list':
      return s === '' ? [] : s.split(',').map((x) => x.trim());
    case 'enum':
    case 'string':
      return raw;
  }
}

/** Builds and validates the environment layer. */
export function envLayer(table: KeyTable, env: NodeJS.ProcessEnv): Layer {
  const layer: Layer = {};
  const known = [...table.byEnv.keys()];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(PREFIX) || name === CONFIG_FILE_ENV || value === undefined) continue;
    const key = table.byEnv.get(name);
    if (key === undefined) {
      const hint = didYouMean(closest(name, known, '__'));
      throw new ConfigError(name, `environment: ${name} maps to no configuration key${hint}`, 'environment');
    }
    setPath(layer, key.path, convertString(key, value));
  }
  validateLayer(table, layer, {
    name: 'environment',
    keyOf: (p) => table.byPath.get(p)?.env ?? p,
  });
  return layer;
}
