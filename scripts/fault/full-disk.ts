// Issue 11 item 6(b): the data directory on a small filesystem that fills up. A tmpfs of a few
// MiB is mounted on a temp directory (root, or CAP_SYS_ADMIN); the real `imedge serve` keeps
// imedge.db there. With users registered and a group stored, a filler file takes every free
// byte. Expected (DESIGN "The device"; src/device/health): the disk-free pressure check turns on
// and new work gets 503 + Retry-After (REGISTER, INVITE), a write through the admin port fails
// with a clear error, running things and OPTIONS go on, nothing is corrupted
// (PRAGMA integrity_check). The filler is removed: without a restart new work is accepted again.
//
//   node dist/scripts/fault/full-disk.js [--runs N]   (N fill/free cycles, default 3)
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { startServer, type ServerHandle } from '../../test/helpers/server';
import { RawUa } from '../../test/helpers/raw-ua';
import { SipPeer, header } from '../../test/helpers/sip-peer';
import { FACTORY, factoryBody, groupXml } from '../../test/helpers/group';
import { intArg, runMain, sleep, until } from './common';

export type FullDiskFigures =
  | { run: false; reason: string; capable: boolean }
  | {
      run: true;
      cycles: number;
      sizeMiB: number;
      /** Per cycle: the first requests on the full disk, before the health sample saw it. */
      beforeSample: { register: number; retryAfter: string | undefined; invite: number; adhocGroup: number; groupPut: number; groupPutError: string }[];
      /** Per cycle: what the full disk gave. */
      full: { register: number; retryAfter: string | undefined; invite: number; groupPut: number; groupPutError: string; options: number; pager: number; healthz: number; failing: string[] }[];
      /** Per cycle: after the filler was removed, without a restart. */
      recovered: { register: number; groupPut: number; healthz: number }[];
      /** integrity_check ok, read while the disk was full (per cycle), and after the server stopped. */
      integrityWhileFull: number;
      integrityOk: number;
      serverExits: number;
      /** The server's error lines (message and error code), for the report. */
      errors: string[];
    };

const SIZE_MIB = 8;
/** CAP_SYS_ADMIN: what `mount -t tmpfs` needs. */
const CAP_SYS_ADMIN = 21;

function canMount(): boolean {
  try {
    const eff = /^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1];
    return eff !== undefined && (BigInt(`0x${eff}`) & (1n << BigInt(CAP_SYS_ADMIN))) !== 0n;
  } catch {
    return false;
  }
}

function tryMount(dir: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SIZE_MIB}m,mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return ((err as { stderr?: Buffer }).stderr?.toString() || (err as Error).message).trim();
  }
}

/** Writes a filler file until the filesystem says ENOSPC; returns its size. */
function fill(file: string): number {
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  let size = 0;
  try {
    for (;;) size += fs.writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    // the last partial block, byte by byte in small pieces
    for (const n of [4096, 512, 1]) {
      try {
        for (;;) size += fs.writeSync(fd, chunk.subarray(0, n));
      } catch {
        /* full at this size */
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return size;
}

function integrityOk(dataDir: string): boolean {
  const db = new Database(path.join(dataDir, 'imedge.db'), { readonly: true });
  try {
    return db.pragma('integrity_check', { simple: true }) === 'ok';
  } finally {
    db.close();
  }
}

async function httpStatus(url: string, init?: RequestInit): Promise<{ status: number; text: string }> {
  const r = await fetch(url, init);
  return { status: r.status, text: await r.text() };
}

export async function runFullDisk(cycles = 1): Promise<FullDiskFigures> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'imedge-fault-disk-'));
  const why = tryMount(base);
  if (why !== undefined) {
    fs.rmSync(base, { recursive: true, force: true });
    return { run: false, reason: `mount -t tmpfs failed: ${why}`, capable: canMount() };
  }
  const dataDir = path.join(base, 'data');
  fs.mkdirSync(dataDir);
  const filler = path.join(base, 'filler');
  const figures: Extract<FullDiskFigures, { run: true }> = { run: true, cycles, sizeMiB: SIZE_MIB, full: [], beforeSample: [], recovered: [], integrityWhileFull: 0, integrityOk: 0, serverExits: 0, errors: [] };
  let s: ServerHandle | undefined;
  const uas: RawUa[] = [];
  try {
    s = await startServer({
      dataDir,
      env: { IMEDGE_HEALTH__MIN_DISK_FREE_MIB: '1', IMEDGE_HEALTH__SAMPLE_INTERVAL_MS: '1000', IMEDGE_HEALTH__RETRY_AFTER_S: '17' },
    });
    const server = s;
    let stopping = false;
    server.proc.once('exit', () => {
      if (!stopping) figures.serverExits++;
    });
    uas.push(await RawUa.open('fd-a', server.sipPort), await RawUa.open('fd-b', server.sipPort));
    const putGroup = (id: string) =>
      httpStatus(`http://127.0.0.1:${server.httpPort}/groups/${id}`, { method: 'PUT', headers: { 'content-type': 'application/xml' }, body: groupXml({ id, members: ['fd-a', 'fd-b'] }) });
    if ((await putGroup('fd-team')).status !== 201) throw new Error('group not stored');
    const probe = await SipPeer.open('UDP', server.sipPort);
    for (let cycle = 1; cycle <= cycles; cycle++) {
      fill(filler);
      // at once, before any health sample has seen the disk full: the write itself fails
      const early = await probe.request({ method: 'REGISTER', uri: 'sip:localhost', from: `sip:fd-e${cycle}@localhost`, to: `sip:fd-e${cycle}@localhost`, contact: `<${probe.contactUri}>`, headers: { Expires: '300' } });
      const earlyPut = await putGroup(`fd-early${cycle}`);
      const earlyInvite = await uas[0]!.invite('fd-b', { timeoutMs: 8000 });
      if (earlyInvite.status === 200) await uas[0]!.requestInDialog('BYE').catch(() => undefined);
      const earlyGroup = await uas[0]!.invite('conference-factory', { requestUri: FACTORY, wrap: factoryBody(['sip:fd-b@localhost']), timeoutMs: 8000 });
      if (earlyGroup.status === 200) await uas[0]!.requestInDialog('BYE').catch(() => undefined);
      figures.beforeSample.push({ register: early.status ?? 0, retryAfter: header(early, 'retry-after'), invite: earlyInvite.status ?? 0, adhocGroup: earlyGroup.status ?? 0, groupPut: earlyPut.status, groupPutError: earlyPut.text.slice(0, 200) });
      // the next health sample sees the disk full (health.sampleIntervalMs)
      await server.waitForLog((l) => l.msg === 'under pressure: refusing new sessions' && JSON.stringify(l).includes('disk'), 10_000).catch(() => undefined);
      await until(async () => (await probe.request({ method: 'REGISTER', uri: 'sip:localhost', from: 'sip:fd-c@localhost', to: 'sip:fd-c@localhost', contact: `<${probe.contactUri}>`, headers: { Expires: '300' } })).status === 503, `cycle ${cycle}: REGISTER refused on a full disk`, 10_000).catch(() => undefined);
      const reg = await probe.request({ method: 'REGISTER', uri: 'sip:localhost', from: 'sip:fd-c@localhost', to: 'sip:fd-c@localhost', contact: `<${probe.contactUri}>`, headers: { Expires: '300' } });
      const inv = await uas[0]!.invite('fd-b', { timeoutMs: 8000 });
      const put = await putGroup(`fd-new${cycle}`);
      if (integrityOk(dataDir)) figures.integrityWhileFull++;
      // work that writes nothing goes on: a pager MESSAGE between registered users
      const pager = await probe.request({ method: 'MESSAGE', uri: 'sip:fd-b@localhost', from: 'sip:fd-a@localhost', to: 'sip:fd-b@localhost', body: `full ${cycle}`, headers: { 'Content-Type': 'text/plain' } });
      const opt = await probe.request({ method: 'OPTIONS', uri: 'sip:localhost', from: 'sip:fd-c@localhost', to: 'sip:localhost' });
      const hz = await httpStatus(`http://127.0.0.1:${server.httpPort}/healthz`);
      const failing = ((JSON.parse(hz.text) as { checks?: { name: string; ok: boolean }[] }).checks ?? []).filter((c) => !c.ok).map((c) => c.name);
      figures.full.push({ register: reg.status ?? 0, retryAfter: header(reg, 'retry-after'), invite: inv.status ?? 0, groupPut: put.status, groupPutError: put.text.slice(0, 200), options: opt.status ?? 0, pager: pager.status ?? 0, healthz: hz.status, failing });
      if (inv.status === 200) await uas[0]!.requestInDialog('BYE').catch(() => undefined);

      fs.rmSync(filler);
      // space is back: the next sample lifts the pressure, no restart
      let regAgain = 0;
      await until(async () => (regAgain = (await probe.request({ method: 'REGISTER', uri: 'sip:localhost', from: 'sip:fd-c@localhost', to: 'sip:fd-c@localhost', contact: `<${probe.contactUri}>`, headers: { Expires: '300' } })).status ?? 0) === 200, `cycle ${cycle}: REGISTER accepted again`, 15_000).catch(() => undefined);
      const putAgain = await putGroup(`fd-new${cycle}`);
      await sleep(1100); // the SQLite probe runs at most once a second
      const hzAgain = await httpStatus(`http://127.0.0.1:${server.httpPort}/healthz`);
      figures.recovered.push({ register: regAgain, groupPut: putAgain.status, healthz: hzAgain.status });
    }
    probe.close();
    stopping = true;
    figures.errors = server.lines.filter((l) => Number(l.level) >= 50).map((l) => `${String(l.msg)} ${String((l.err as { code?: string; message?: string } | undefined)?.code ?? (l.err as { message?: string } | undefined)?.message ?? '')}`);
  } finally {
    for (const u of uas) await u.close();
    if (s !== undefined && s.proc.exitCode === null) await s.stop();
    try {
      if (integrityOk(dataDir)) figures.integrityOk++;
    } finally {
      try {
        execFileSync('umount', [base], { stdio: 'pipe' });
      } catch {
        /* reported by the rm below if it matters */
      }
      fs.rmSync(base, { recursive: true, force: true });
    }
  }
  return figures;
}

runMain(module, () => runFullDisk(intArg('runs', 3)));
