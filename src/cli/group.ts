// `imedge group import|list|show|delete`: pre-defined group documents in the store, checked
// by the same GroupService as PUT /groups/<id>. On a running server prefer the admin API:
// only it ends a deleted group's session at once (OMA IM 7.2.2.8 rule 1f).
import * as fs from 'node:fs';
import type { Config } from '../config';
import { openStore, type Store } from '../store';
import { GroupDocumentError, GroupLimitError, GroupService } from '../admin/groups';

function withGroups<T>(cfg: Config, fn: (g: GroupService, s: Store) => T): T {
  const store = openStore({ dataDir: cfg.dataDir, synchronous: cfg.store.synchronous, cacheSizeKiB: cfg.store.cacheSizeKiB, busyTimeoutMs: cfg.store.busyTimeoutMs });
  try {
    return fn(new GroupService(store.groups, cfg.domain, {}, Date.now, cfg.groups.maxStoredGroups), store);
  } finally {
    store.close();
  }
}

/** Exit 2 with the element named: a bad document is bad input, not a run-time failure. */
function refuse(file: string, err: GroupDocumentError): void {
  process.stderr.write(`imedge: ${file}: invalid group document: ${err.message}\n`);
  process.exitCode = 2;
}

export function groupImport(cfg: Config, file: string): void {
  let xml: Buffer;
  try {
    xml = fs.readFileSync(file);
  } catch (err) {
    process.stderr.write(`imedge: cannot read ${file}: ${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  try {
    const { id, result } = withGroups(cfg, (g) => g.put(xml));
    process.stdout.write(`${result} group ${id} (sip:${id}@${cfg.domain})\n`);
  } catch (err) {
    if (err instanceof GroupDocumentError) return refuse(file, err);
    if (err instanceof GroupLimitError) {
      // a limit of this box, not a bad document: exit 1 like any refusal at run time
      process.stderr.write(`imedge: ${file}: not imported: ${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}

export function groupList(cfg: Config): void {
  for (const g of withGroups(cfg, (s) => s.list())) process.stdout.write(`${g.id}\tsip:${g.id}@${cfg.domain}\t${new Date(g.updatedAt).toISOString()}\n`);
}

export function groupShow(cfg: Config, id: string): void {
  const g = withGroups(cfg, (s) => s.get(id));
  if (g === undefined) {
    process.stderr.write(`imedge: no such group: ${id}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(g.document.endsWith('\n') ? g.document : `${g.document}\n`);
}

export function groupDelete(cfg: Config, id: string): void {
  if (!withGroups(cfg, (s) => s.delete(id))) {
    process.stderr.write(`imedge: no such group: ${id}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`deleted ${id}\n`);
}
