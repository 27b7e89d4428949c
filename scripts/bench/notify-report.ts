/** Figures and table of the conference-state benchmark (issue 10; pure). */
import { percentile } from './stats';
import { fmt, formatTable, type Column } from './table';

/** One measured phase: J joins into a session that S watchers subscribe to. */
export interface NotifyRun {
  readonly watchers: number;
  readonly joins: number;
  /** per join: when the joiner wrote the bind that completes it (ms, the clients' clock) */
  readonly joinMs: ArrayLike<number>;
  /** watchers x joins: seenMs[w * joins + j], the first NOTIFY at watcher w that shows join j; NaN: none */
  readonly seenMs: ArrayLike<number>;
  /** NOTIFYs the watchers read over the phase */
  readonly received: number;
  /** the server's events_notifies and events_coalesced over the phase (/metrics after - before) */
  readonly serverNotifies: number;
  readonly serverCoalesced: number;
  /** server CPU ticks (user + system) over the phase */
  readonly cpuTicks: number;
  readonly clkTck: number;
}

export interface NotifyFigures {
  readonly runs: number;
  readonly joins: number;
  readonly watchers: number;
  /** NOTIFYs the server sent (summed over runs) */
  readonly notifies: number;
  readonly received: number;
  readonly notifiesPerJoin: number;
  readonly coalesced: number;
  /** per join, the latest watcher: join -> the first NOTIFY there that shows it; over joins */
  readonly lastP50Ms: number;
  readonly lastP99Ms: number;
  /** the same over every (join, watcher) pair */
  readonly pairP50Ms: number;
  readonly pairP99Ms: number;
  /** (join, watcher) pairs whose watcher never got a NOTIFY showing the join */
  readonly missing: number;
  readonly cpuMsPerJoin: number;
}

/** Runs of one kind pooled: counts summed, latencies of every join of every run together. */
export function notifyFiguresOf(runs: readonly NotifyRun[]): NotifyFigures {
  const last: number[] = [];
  const pairs: number[] = [];
  let joins = 0;
  let notifies = 0;
  let received = 0;
  let coalesced = 0;
  let missing = 0;
  let cpuMs = 0;
  for (const r of runs) {
    joins += r.joins;
    notifies += r.serverNotifies;
    received += r.received;
    coalesced += r.serverCoalesced;
    cpuMs += (r.cpuTicks / r.clkTck) * 1000;
    for (let j = 0; j < r.joins; j++) {
      let worst = Number.NEGATIVE_INFINITY;
      let complete = Number.isFinite(r.joinMs[j]);
      for (let w = 0; w < r.watchers; w++) {
        const d = r.seenMs[w * r.joins + j] - r.joinMs[j];
        if (!Number.isFinite(d)) {
          missing++;
          complete = false;
          continue;
        }
        pairs.push(d);
        worst = Math.max(worst, d);
      }
      // a join some watcher never heard of has no "last watcher" time: it is counted as missing
      if (complete && r.watchers > 0) last.push(worst);
    }
  }
  return {
    runs: runs.length,
    joins,
    watchers: runs[0]?.watchers ?? 0,
    notifies,
    received,
    notifiesPerJoin: joins > 0 ? notifies / joins : Number.NaN,
    coalesced,
    lastP50Ms: percentile(last, 50),
    lastP99Ms: percentile(last, 99),
    pairP50Ms: percentile(pairs, 50),
    pairP99Ms: percentile(pairs, 99),
    missing,
    cpuMsPerJoin: joins > 0 ? cpuMs / joins : Number.NaN,
  };
}

/** One figure of the imedge_groups gauge in a Prometheus text page; NaN when absent. */
export function groupsFigure(metrics: string, figure: string): number {
  const esc = figure.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`^imedge_groups\\{figure="${esc}"\\} (\\S+)$`, 'm').exec(metrics);
  return m ? Number(m[1]) : Number.NaN;
}

export interface NotifyRow {
  readonly label: string;
  readonly mode: 'paced' | 'burst';
  readonly answerDelayMs: number;
  readonly figures: NotifyFigures | undefined;
  readonly errors: readonly string[];
}

export interface NotifySpec {
  readonly watchers: number;
  readonly joins: number;
  readonly runs: number;
  readonly answerDelayMs: number;
}

/** A count: whole, grouped by thousands. */
const count = (v: number): string => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-');
const ms = (v: number): string => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : '-');

export function notifyHeading(s: NotifySpec): string {
  return (
    `Conference state (issue 10): ${s.watchers} watchers subscribed to a pre-defined group session, ${s.joins} joins per row ` +
    `(paced: one at a time; burst: all at once), ${s.runs} run(s) per row pooled; SIP: watchers TCP, joiners UDP`
  );
}

export function notifyTable(s: NotifySpec, rows: readonly NotifyRow[]): { table: string; lines: string[] } {
  const cols: Column[] = [
    { title: 'joins / watchers answer', align: 'left' },
    { title: 'joins' },
    { title: 'NOTIFYs' },
    { title: 'per join' },
    { title: 'coalesced' },
    { title: 'last watcher p50 ms' },
    { title: 'p99 ms' },
    { title: 'any watcher p99 ms' },
    { title: 'server CPU ms/join' },
  ];
  const body = rows.map((r) => {
    const f = r.figures;
    if (f === undefined) return [r.label, 'failed'];
    return [r.label, count(f.joins), count(f.notifies), fmt(f.notifiesPerJoin), count(f.coalesced), ms(f.lastP50Ms), ms(f.lastP99Ms), ms(f.pairP99Ms), fmt(f.cpuMsPerJoin)];
  });
  const lines: string[] = [];
  const uncoalesced = s.joins * s.watchers;
  const bursts = rows.filter((r) => r.mode === 'burst' && r.figures !== undefined);
  if (bursts.length > 0) {
    const parts = bursts.map((r) => {
      const f = r.figures as NotifyFigures;
      const perRun = f.notifies / f.runs;
      return `${count(perRun)} with answers ${r.answerDelayMs > 0 ? `after ${r.answerDelayMs} ms` : 'at once'} (${((perRun / uncoalesced) * 100).toFixed(0)}%)`;
    });
    lines.push(`A burst of ${s.joins} joins to ${s.watchers} watchers, one NOTIFY per join each, is ${count(uncoalesced)} NOTIFYs; sent per burst: ${parts.join(', ')}.`);
  }
  for (const r of rows) {
    const f = r.figures;
    if (f === undefined) {
      lines.push(`${r.label}: failed (${r.errors[0] ?? 'no result'})`);
      continue;
    }
    const issues: string[] = [];
    if (f.received !== f.notifies) issues.push(`watchers read ${count(f.received)} NOTIFYs, the server counts ${count(f.notifies)} sent`);
    if (f.missing > 0) issues.push(`${f.missing} (join, watcher) pairs never shown`);
    if (r.errors.length > 0) issues.push(`${r.errors.length} error(s), first: ${r.errors[0]}`);
    if (issues.length > 0) lines.push(`${r.label}: ${issues.join('; ')}`);
  }
  return { table: formatTable(cols, body), lines };
}

export const NOTIFY_NOTES: readonly string[] = [
  'NOTIFYs, coalesced = the server\'s imedge_groups events_notifies / events_coalesced over the row. The server always coalesces:',
  'a change that finds a subscriber\'s NOTIFY unanswered is deferred (counted as coalesced) into its one pending NOTIFY, sent',
  'with the newest full state once the answer comes; a NOTIFY is saved only when several changes fold into the same pending',
  'one. The rows differ in how fast the watchers answer: at once, or after a delay (changes pile up and fold together).',
  'Paced joins are the uncoalesced baseline: every join reaches every watcher in its own NOTIFY.',
  'Latency: from the joiner writing the MSRP bind that completes its join (the server marks it joined on reading it) to',
  'the first NOTIFY that shows it connected, read at a watcher; "last watcher" = the latest of all watchers per join.',
];
