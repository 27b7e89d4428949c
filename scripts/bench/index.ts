/**
 * MSRP relay benchmark (`npm run bench -- --help`). Not a test, never run in CI: it prints
 * figures of imedge's relay beside baselines measured in the same run between the same client
 * processes: a bare Node TCP pipe (the limit for any relay on this machine) and Kamailio's msrp
 * module when the Debian kamailio package is installed.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release } from 'node:os';
import { parseBenchArgs, USAGE, type BenchOptions, type RelayName } from './args';
import { measureIdle } from './idle';
import { measureRow } from './measure';
import { ChildRegistry } from './rpc';
import { imedgeRelay } from './relays/imedge';
import { kamailioRelay } from './relays/kamailio';
import { pipeRelay } from './relays/pipe';
import type { RelayUnderTest } from './relays/types';
import { idleTable, relayTargetLines, throughputTable, type ConfigOutcome, type IdleOutcome, type RowOutcome } from './report';
import type { BenchContext } from './session';
import { fmt, fmtSize } from './table';
import { measureSessions, sessionsTable } from './sessions';
import { measureFanout } from './fanout';
import { FANOUT_NOTES, fanoutHeading, fanoutTable } from './fanout-report';
import { measureNotify } from './notify';
import { NOTIFY_NOTES, notifyHeading, notifyTable } from './notify-report';
import { measureServeIdle, serveIdleTable } from './serve-idle';
import { DEFAULT_WEAR_PLAN, measureWear, wearBoards, wearTable, type WearRow } from './wear';

function clockTicks(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

function kamailioVersion(bin: string): string {
  try {
    const out = execFileSync(bin === '' ? 'kamailio' : bin, ['-v'], { encoding: 'utf8', timeout: 5000 });
    return /version:\s*(\S+ \S+)/.exec(out)?.[1] ?? 'unknown version';
  } catch {
    return 'unknown version';
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** "kamailio: not installed", "imedge relay: not available (...)". */
function unavailableLine(name: string, reason: string): string {
  if (name === 'imedge') return `imedge relay: not available (${reason})`;
  if (reason === 'not installed') return `${name}: not installed`;
  return `${name}: not available (${reason})`;
}

async function run(opts: BenchOptions, ctx: BenchContext): Promise<void> {
  const all: Record<RelayName, RelayUnderTest> = {
    pipe: pipeRelay(ctx.registry),
    kamailio: kamailioRelay(ctx.registry, opts.kamailioBin, 'kamailio', opts.kamailioWorkers),
    'kamailio-1w': kamailioRelay(ctx.registry, opts.kamailioBin, 'kamailio-1w', 1),
    imedge: imedgeRelay(ctx.registry),
    'imedge-prev': imedgeRelay(ctx.registry, undefined, opts.prevDist === undefined ? undefined : { dist: opts.prevDist }),
  };
  // table order: the baselines first, the subject last, just above its ratio rows
  const order: RelayName[] = ['pipe', 'kamailio', 'kamailio-1w', 'imedge-prev', 'imedge'];
  const relays: RelayUnderTest[] = [];
  console.log(`MSRP relay benchmark - node ${process.version}, linux ${release()}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}`);
  console.log(
    `runs/row ${opts.runs} (median shown), ~${opts.seconds} s/run, chunk <= ${fmtSize(opts.chunk)}, ` +
      `sizes ${opts.sizes.map(fmtSize).join(', ')}, windows ${opts.windows.join(', ')}`,
  );
  for (const name of order) {
    // the earlier build runs whenever one is named
    if (name === 'imedge-prev' ? opts.prevDist === undefined : !opts.only.includes(name)) continue;
    const reason = await all[name].probe();
    if (reason !== undefined) console.log(unavailableLine(name, reason));
    else {
      relays.push(all[name]);
      if (name === 'kamailio') console.log(`kamailio: ${kamailioVersion(opts.kamailioBin)}, ${opts.kamailioWorkers} TCP workers (cores: ${cpus().length})`);
      if (name === 'kamailio-1w') console.log(`kamailio-1w: ${kamailioVersion(opts.kamailioBin)}, 1 TCP worker`);
    }
  }
  if (relays.length > 0) await relayTables(opts, ctx, relays);
  if (opts.only.includes('fanout') && opts.receivers.length > 0) await fanoutSection(opts, ctx);
  if (opts.sessions > 0 && opts.only.includes('sessions')) {
    console.log('');
    try {
      const f = await measureSessions(opts.sessions, opts.seconds, opts.openSessions, ctx.clkTck);
      console.log(sessionsTable(opts.sessions, f));
    } catch (e) {
      console.log(`1-1 sessions: failed (${errorText(e)})`);
    }
  }
  if (opts.only.includes('notify')) await notifySection(opts, ctx);
  if (opts.only.includes('idle')) await idleSection(opts, ctx, all);
  if (opts.only.includes('wear')) await wearSection();
}

/**
 * Issue 14 item 4: a fresh server beside Node's floor, and the relay's cost per idle MSRP
 * connection beside the Node pipe's (skipped here when the relay tables already printed it).
 */
async function idleSection(opts: BenchOptions, ctx: BenchContext, all: Record<RelayName, RelayUnderTest>): Promise<void> {
  const loadBefore = loadavg()[0];
  console.log('');
  try {
    console.log(serveIdleTable(await measureServeIdle(opts.runs)));
  } catch (e) {
    console.log(`imedge serve idle: failed (${errorText(e)})`);
  }
  const relaysRan = opts.only.includes('pipe') || opts.only.includes('imedge');
  if (opts.idleSessions > 0 && !relaysRan) {
    const idle: IdleOutcome[] = [];
    for (const name of ['pipe', 'imedge'] as const) {
      try {
        idle.push({ relay: name, result: await measureIdle(all[name], opts.idleSessions, ctx) });
      } catch (e) {
        idle.push({ relay: name, error: errorText(e) });
      }
    }
    const t = idleTable(idle);
    console.log('');
    console.log(`Idle MSRP connections: ${opts.idleSessions} sessions (A and B connected and bound, no traffic); target (issue 14): imedge KB/conn <= the pipe's`);
    console.log(t.table);
    for (const f of t.footnotes) console.log(f);
  }
  console.log(`load average (1 min) ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after, on ${cpus().length} cores`);
}

async function wearSection(): Promise<void> {
  const rows: WearRow[] = [];
  for (const board of wearBoards()) {
    try {
      rows.push(await measureWear(board, DEFAULT_WEAR_PLAN));
      console.error(`  wear ${board}: done`);
    } catch (e) {
      console.log(`wear ${board}: failed (${errorText(e)})`);
    }
  }
  console.log('');
  console.log(wearTable(DEFAULT_WEAR_PLAN, rows));
}

async function notifySection(opts: BenchOptions, ctx: BenchContext): Promise<void> {
  const spec = { watchers: opts.notifyWatchers, joins: opts.notifyJoins, runs: opts.runs, answerDelayMs: opts.notifyDelayMs };
  const loadBefore = loadavg()[0];
  let rows;
  try {
    rows = await measureNotify(spec, ctx, (line) => console.error(line));
  } catch (e) {
    console.log('');
    console.log(`conference state: failed (${errorText(e)})`);
    return;
  }
  const t = notifyTable(spec, rows);
  console.log('');
  console.log(notifyHeading(spec));
  console.log(`load average (1 min) ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after, on ${cpus().length} cores`);
  console.log(t.table);
  for (const l of t.lines) console.log(l);
  for (const l of NOTIFY_NOTES) console.log(l);
}

async function fanoutSection(opts: BenchOptions, ctx: BenchContext): Promise<void> {
  const spec = { size: opts.fanoutSize, window: opts.fanoutWindow, chunk: opts.chunk, runs: opts.runs, seconds: opts.seconds, messages: opts.messages, receivers: opts.receivers, paceShare: opts.fanoutPace, cpuProfDir: opts.fanoutCpuProf };
  const loadBefore = loadavg()[0];
  const rows = await measureFanout(spec, ctx, (line) => console.error(line));
  const t = fanoutTable(spec, rows);
  console.log('');
  console.log(fanoutHeading(spec));
  // others' processes share this machine's cores: a load above the core count skews every row
  console.log(`load average (1 min) ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after, on ${cpus().length} cores`);
  console.log(t.table);
  for (const l of t.lines) console.log(l);
  for (const l of FANOUT_NOTES) console.log(l);
}

async function relayTables(opts: BenchOptions, ctx: BenchContext, relays: RelayUnderTest[]): Promise<void> {
  const configs: ConfigOutcome[] = [];
  for (const size of opts.sizes) {
    for (const window of opts.windows) {
      const outcomes: RowOutcome[] = [];
      for (const relay of relays) {
        const label = `${relay.name} ${fmtSize(size)} window ${window}`;
        try {
          const result = await measureRow(
            relay,
            { size, window, chunk: opts.chunk, runs: opts.runs, seconds: opts.seconds, messages: opts.messages },
            ctx,
          );
          console.error(`  ${label}: ${fmt(result.figures.msgsPerSec)} msg/s`);
          outcomes.push({ relay: relay.name, result });
        } catch (e) {
          console.error(`  ${label}: failed: ${errorText(e)}`);
          outcomes.push({ relay: relay.name, error: errorText(e) });
        }
      }
      configs.push({ size, window, outcomes });
    }
  }
  const main = throughputTable(configs);
  console.log('');
  console.log(main.table);
  for (const f of main.footnotes) console.log(f);
  for (const t of relayTargetLines(configs)) console.log(t);

  if (opts.idleSessions > 0) {
    const idle: IdleOutcome[] = [];
    for (const relay of relays) {
      try {
        idle.push({ relay: relay.name, result: await measureIdle(relay, opts.idleSessions, ctx) });
      } catch (e) {
        idle.push({ relay: relay.name, error: errorText(e) });
      }
    }
    const t = idleTable(idle);
    console.log('');
    console.log(`Idle footprint: ${opts.idleSessions} sessions (A and B connected and bound, no traffic)`);
    console.log(t.table);
    for (const f of t.footnotes) console.log(f);
  }

  console.log('');
  console.log('win = SEND requests outstanding at A (each chunk is one SEND); MB = 10^6 payload bytes.');
  console.log('B = SEND written at A -> message complete at B; 200 = -> 200 to its last chunk back at A.');
  console.log('CPU = relay user+system time per message; ratios are imedge figure / baseline figure.');
  for (const r of relays) if (r.note !== undefined) console.log(r.note);
}

async function main(): Promise<void> {
  let opts: BenchOptions;
  try {
    opts = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`${errorText(e)}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  if (process.platform !== 'linux') {
    console.error('the bench reads /proc: Linux only');
    process.exitCode = 2;
    return;
  }
  const registry = new ChildRegistry();
  process.on('exit', () => registry.killAll());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      registry.killAll();
      process.exit(130);
    });
  }
  try {
    await run(opts, { registry, baseNs: process.hrtime.bigint(), clkTck: clockTicks() });
  } finally {
    registry.killAll();
  }
}

void main();
