/** Test helper: a fresh temp directory per test and a store opened in it with board-like settings. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store, type StoreOptions } from '../../../src/store';

export interface TempDir {
  readonly dir: string;
  remove(): void;
}

export function makeTempDir(): TempDir {
  const dir = mkdtempSync(join(tmpdir(), 'imedge-store-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function storeOptions(dataDir: string, extra: Partial<StoreOptions> = {}): StoreOptions {
  return { dataDir, synchronous: 'FULL', cacheSizeKiB: 2048, busyTimeoutMs: 2000, ...extra };
}

export function open(dataDir: string, extra: Partial<StoreOptions> = {}): Store {
  return openStore(storeOptions(dataDir, extra));
}
