/** Configuration of imedge: one schema, board profiles, layered loading. */
export { configSchema, parseKickByte, type Config, type PartialConfig, type LogLevel, type WatchdogProtocol } from './schema';
export { ConfigError } from './errors';
export { DEFAULT_CONFIG, loadConfig, type LoadOptions } from './load';
export { type FlagValues, flagName } from './flags';
export { defaultBoardDir, listBoards, loadBoardProfile } from './board';
export { configReference } from './reference';
export { envName, keyTable, CONFIG_FILE_ENV, type KeyInfo, type KeyKind } from './keys';
export { isLoopback } from './net';
export { authRequired } from './rules';
export { tlsOn } from './rules';
export { loadTlsMaterial, type TlsMaterial } from './tls';
