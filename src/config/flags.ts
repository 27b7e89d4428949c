/** The flags layer: options of `imedge serve`, passed in as an object. */
import { ConfigError, closest, didYouMean } from './errors';
import { convertString } from './env';
import type { KeyTable } from './keys';
import { setPath, type Layer } from './merge';
import { validateLayer } from './validate';

export interface FlagValues {
  /** --config FILE */
  config: string;
  /** --board NAME */
  board: string;
  /** --bind ADDR */
  bind: string;
  /** --domain D */
  domain: string;
  /** --sip-port N (a string as typed, or a number) */
  sipPort: number | string;
  /** --msrp-port N */
  msrpPort: number | string;
  /** --http-port N */
  httpPort: number | string;
  /** --data-dir DIR */
  dataDir: string;
  /** --tls-cert FILE */
  tlsCert: string;
  /** --tls-key FILE */
  tlsKey: string;
  /** --sips-port N */
  sipsPort: number | string;
  /** --msrps-port N */
  msrpsPort: number | string;
  /** --watchdog-device PATH: watchdog on, line protocol, over PATH; timing from the board profile. */
  watchdogDevice: string;
}

/** Flag property -> [flag as typed, key path it sets]. `config` is not a key. */
const FLAG_KEYS: Readonly<Record<Exclude<keyof FlagValues, 'config'>, readonly [string, string]>> = {
  board: ['--board', 'board'],
  bind: ['--bind', 'bind'],
  domain: ['--domain', 'domain'],
  sipPort: ['--sip-port', 'sip.port'],
  msrpPort: ['--msrp-port', 'msrp.port'],
  httpPort: ['--http-port', 'http.port'],
  dataDir: ['--data-dir', 'dataDir'],
  watchdogDevice: ['--watchdog-device', 'watchdog.device'],
  tlsCert: ['--tls-cert', 'tls.cert'],
  tlsKey: ['--tls-key', 'tls.key'],
  sipsPort: ['--sips-port', 'sip.tlsPort'],
  msrpsPort: ['--msrps-port', 'msrp.tlsPort'],
};

const FLAG_NAMES = ['config', ...Object.keys(FLAG_KEYS)];

export function flagName(prop: string): string {
  if (prop === 'config') return '--config';
  return (FLAG_KEYS as Record<string, readonly [string, string]>)[prop]?.[0] ?? prop;
}

/** Builds and validates the flags layer; undefined values are flags not given. */
export function flagsLayer(table: KeyTable, flags: Partial<FlagValues>): Layer {
  const layer: Layer = {};
  const byPath = new Map<string, string>();
  for (const [prop, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    if (!FLAG_NAMES.includes(prop)) {
      const hint = didYouMean(closest(prop, FLAG_NAMES, '.'));
      throw new ConfigError(prop, `flags: unknown flag "${prop}"${hint}`, 'flags');
    }
    if (prop === 'config') continue;
    const [flag, path] = (FLAG_KEYS as Record<string, readonly [string, string]>)[prop] ?? ['', ''];
    const key = table.byPath.get(path);
    if (key === undefined) continue;
    byPath.set(path, flag);
    setPath(layer, path, typeof value === 'string' ? convertString(key, value) : value);
    if (prop === 'watchdogDevice') {
      // DESIGN.md: --watchdog-device turns the watchdog on over that device
      // with the line protocol; timing stays the board profile's.
      setPath(layer, 'watchdog.enabled', true);
      setPath(layer, 'watchdog.protocol', 'line');
      byPath.set('watchdog.enabled', flag).set('watchdog.protocol', flag);
    }
  }
  validateLayer(table, layer, { name: 'flags', keyOf: (p) => byPath.get(p) ?? p });
  return layer;
}
