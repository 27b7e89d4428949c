// `imedge user add|list|delete`: digest credentials kept as HA1 hashes, never the password.
import type { Config } from '../config';
import { addUser, deleteUser, openStore, type Store } from '../store';
import { readPassword } from './password';
import { accountNameRefusal } from '../admin/users';

function withStore<T>(cfg: Config, fn: (s: Store) => T): T {
  const store = openStore({
    dataDir: cfg.dataDir,
    synchronous: cfg.store.synchronous,
    cacheSizeKiB: cfg.store.cacheSizeKiB,
    busyTimeoutMs: cfg.store.busyTimeoutMs,
  });
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

export async function userAdd(cfg: Config, name: string, passwordFile?: string): Promise<void> {
  const refused = accountNameRefusal(name);
  if (refused !== undefined) {
    process.stderr.write(`imedge: ${refused}\n`);
    process.exitCode = 2;
    return;
  }
  const realm = cfg.auth.realm || cfg.domain;
  const password = await readPassword({ passwordFile, prompt: `password for ${name}@${realm}: ` });
  const created = withStore(cfg, (s) => addUser(s, name, realm, password));
  process.stdout.write(`${created ? 'added' : 'updated'} ${name} (realm ${realm})\n`);
}

export function userList(cfg: Config): void {
  const users = withStore(cfg, (s) => s.users.list());
  for (const u of users) process.stdout.write(`${u.user}\t${u.realm}\n`);
}

export function userDelete(cfg: Config, name: string): void {
  const existed = withStore(cfg, (s) => deleteUser(s, name));
  if (!existed) {
    process.stderr.write(`imedge: no such user: ${name}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`deleted ${name}\n`);
}
