/**
 * The Pi budget figures under arm64 emulation beside the same figures natively, in one run
 * (issue 13 item 2). Started by scripts/arm64/run.sh --measure, which passes the arm64 node,
 * the arm64 tree (its addons are arm64) and qemu in ARM64_NODE, ARM64_APP, QEMU_AARCH64.
 *
 * Per mode (x86 native, then arm64 under qemu-user): a real `imedge serve` (scripts/bench
 * imedge-server) timed from spawn to its `listening` line; idle RSS and PSS after a settle;
 * RSS with 50 open 1-1 sessions (the Pi Zero 2 W cap; bench sessions.holdSessions); and the
 * MSRP relay's CPU per 1 KiB message (bench measureRow on relays/imedge, window 64). The
 * clients always run natively: only the subject is emulated.
 *
 * Emulated speed is not a Pi's speed: qemu translates every instruction on an x86 core
 * shared with other work. The memory figures include qemu itself and its translation cache.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ImClient } from '../../src/client';
import { startImedge } from '../bench/imedge-server';
import { measureRow } from '../bench/measure';
import { memStatus, pssKb } from '../bench/proc-stats';
import { imedgeRelay } from '../bench/relays/imedge';
import { ChildRegistry } from '../bench/rpc';
import { holdSessions, registeredPairs } from '../bench/sessions';
import { formatTable } from '../bench/table';
import { measureWear, wearTable, type WearPlan } from '../bench/wear';

const OPEN_SESSIONS = 50;
/** SD-card wear beside native (issue 13 item 3): the Pi Zero 2 W profile, a shorter plan than the bench's. */
const WEAR_BOARD = 'rpi-zero2w';
const WEAR_PLAN: WearPlan = { refreshes: 20, messages: 20, msrpMessages: 20, sessions: 5, idleS: 60 };
const PAIRS = 5;
/** bounds under emulation are this many times the native ones */
const EMULATION_SCALE = 10;

interface Mode {
  name: string;
  node?: readonly string[];
  cli?: string;
  scale: number;
  settleMs: number;
}

interface Figures {
  startMs: number;
  idleRssMb: number;
  idlePssMb: number;
  heapMb: number;
  openRssMb: number;
  relayCpuUs: number;
  relayMsgsPerSec: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function heapUsedMb(httpPort: number): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(30_000) })).text();
    const m = /^imedge_nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
    return m === null ? Number.NaN : Number(m[1]) / 2 ** 20;
  } catch {
    return Number.NaN;
  }
}

async function measureMode(mode: Mode, registry: ChildRegistry, clkTck: number): Promise<Figures> {
  console.error(`  ${mode.name}: starting imedge serve`);
  const server = await startImedge({}, { node: mode.node, cli: mode.cli, startTimeoutMs: 15_000 * mode.scale });
  let idleRssMb = Number.NaN;
  let idlePssMb = Number.NaN;
  let heapMb = Number.NaN;
  let openRssMb = Number.NaN;
  const clients: ImClient[] = [];
  try {
    await sleep(mode.settleMs);
    idleRssMb = (memStatus(server.pid)?.rssKb ?? Number.NaN) / 1024;
    idlePssMb = (pssKb(server.pid) ?? Number.NaN) / 1024;
    heapMb = await heapUsedMb(server.httpPort);
    console.error(`  ${mode.name}: ${OPEN_SESSIONS} sessions`);
    const pairs = await registeredPairs(PAIRS, server.sipPort);
    clients.push(...pairs.callers, ...pairs.callees);
    const held = await holdSessions(pairs.callers, OPEN_SESSIONS);
    await sleep(mode.settleMs / 2);
    openRssMb = (memStatus(server.pid)?.rssKb ?? Number.NaN) / 1024;
    for (const s of held) await s.leave().catch(() => undefined);
  } finally {
    for (const c of clients) await c.close(200).catch(() => undefined);
    await server.stop();
  }
  console.error(`  ${mode.name}: relay 1 KiB, window 64`);
  const relay = imedgeRelay(registry, mode.node ? { node: mode.node, timeoutScale: mode.scale } : undefined);
  const row = await measureRow(relay, { size: 1024, window: 64, chunk: 8192, runs: 1, seconds: 3, messages: undefined }, { registry, baseNs: process.hrtime.bigint(), clkTck });
  return {
    startMs: server.startMs,
    idleRssMb,
    idlePssMb,
    heapMb,
    openRssMb,
    relayCpuUs: row.figures.cpuUsPerMsg,
    relayMsgsPerSec: row.figures.msgsPerSec,
  };
}

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

export function measureTable(native: Figures, emu: Figures): string {
  const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && a > 0 ? `${(b / a).toFixed(1)}x` : '-');
  const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
  const rows: [string, number, number, (n: number) => string][] = [
    ['start to listening, ms', native.startMs, emu.startMs, (n) => n.toFixed(0)],
    ['idle RSS, MiB', native.idleRssMb, emu.idleRssMb, f1],
    ['idle PSS, MiB', native.idlePssMb, emu.idlePssMb, f1],
    ['idle JS heap used, MiB', native.heapMb, emu.heapMb, f1],
    [`RSS with ${OPEN_SESSIONS} open 1-1 sessions, MiB`, native.openRssMb, emu.openRssMb, f1],
    ['relay CPU per 1 KiB message, us', native.relayCpuUs, emu.relayCpuUs, f1],
    ['relay 1 KiB msg/s (window 64)', native.relayMsgsPerSec, emu.relayMsgsPerSec, (n) => n.toFixed(0)],
  ];
  const cols = ['figure', 'x86-64 native', 'arm64 under qemu-user', 'emulated / native'].map((title, i) => ({ title, align: i === 0 ? ('left' as const) : ('right' as const) }));
  return formatTable(cols, rows.map(([name, a, b, fmt]) => [name, fmt(a), fmt(b), ratio(a, b)]));
}

async function main(): Promise<void> {
  const armNode = process.env.ARM64_NODE;
  const app = process.env.ARM64_APP;
  const qemu = process.env.QEMU_AARCH64 ?? 'qemu-aarch64';
  if (!armNode || !app || !existsSync(join(app, 'dist/src/cli/main.js'))) {
    console.error('run through scripts/arm64/run.sh --measure (needs ARM64_NODE, ARM64_APP with a built dist)');
    process.exitCode = 2;
    return;
  }
  const registry = new ChildRegistry();
  process.on('exit', () => registry.killAll());
  const clk = clockTicks();
  try {
    const native = await measureMode({ name: 'x86 native', scale: 1, settleMs: 2000 }, registry, clk);
    const emu = await measureMode(
      { name: 'arm64 emulated', node: [qemu, armNode], cli: join(app, 'dist/src/cli/main.js'), scale: EMULATION_SCALE, settleMs: 5000 },
      registry,
      clk,
    );
    console.log('');
    console.log(`imedge budget figures, one run: x86-64 node ${process.version} beside arm64 node under ${qemu} (user-mode emulation)`);
    console.log(measureTable(native, emu));
    console.log('');
    console.log('Emulated speed is NOT a Pi\'s speed: qemu-user translates every arm64 instruction on a shared x86 core;');
    console.log('the time and CPU ratios say how much slower emulation is here, not how a Cortex-A53/A72/A76 runs.');
    console.log('Emulated RSS/PSS include qemu and its translated-code cache; the JS heap row is the guest\'s own figure.');
    // bytes to the card do not depend on speed: the same profile, native and emulated
    console.error(`  wear (${WEAR_BOARD}): x86 native, then arm64 emulated`);
    const wearNative = await measureWear(WEAR_BOARD, WEAR_PLAN);
    const wearEmu = await measureWear(WEAR_BOARD, WEAR_PLAN, { node: [qemu, armNode], cli: join(app, 'dist/src/cli/main.js'), startTimeoutMs: 15_000 * EMULATION_SCALE });
    console.log('');
    console.log(wearTable(WEAR_PLAN, [{ ...wearNative, board: `${WEAR_BOARD} x86-64` }, { ...wearEmu, board: `${WEAR_BOARD} arm64 (qemu)` }]));
  } finally {
    registry.killAll();
  }
}

if (require.main === module) void main();
