/** Builds the printed tables from the measured results (pure). */
import { FIGURE_KEYS, type RunFigures } from './figures';
import type { IdleResult } from './idle';
import type { RowResult } from './measure';
import { ratio } from './stats';
import { fmt, fmtRatio, fmtSize, formatTable, type Column } from './table';

export interface RowOutcome {
  readonly relay: string;
  readonly result?: RowResult;
  readonly error?: string;
}

export interface ConfigOutcome {
  readonly size: number;
  readonly window: number;
  readonly outcomes: readonly RowOutcome[];
}

export interface IdleOutcome {
  readonly relay: string;
  readonly result?: IdleResult;
  readonly error?: string;
}

/** The relay whose figures are divided by each baseline's. */
export const SUBJECT = 'imedge';
export const BASELINES = ['pipe', 'kamailio', 'kamailio-1w', 'imedge-prev'] as const;

const COLUMNS: readonly Column[] = [
  { title: 'size' },
  { title: 'win' },
  { title: 'relay', align: 'left' },
  { title: 'msg/s' },
  { title: 'MB/s' },
  { title: 'B p50 ms' },
  { title: 'B p99 ms' },
  { title: '200 p50 ms' },
  { title: '200 p99 ms' },
  { title: 'CPU us/msg' },
  { title: 'peak RSS MB' },
  { title: 'msgs/run' },
];

function values(r: RowResult): number[] {
  return [...FIGURE_KEYS.map((k: keyof RunFigures) => r.figures[k]), r.peakRssMb];
}

/**
 * One group of rows per (size, window): each relay's figures, then imedge/pipe and
 * imedge/kamailio ratio rows when both sides were measured. Failures become footnotes.
 */
export function throughputTable(configs: readonly ConfigOutcome[]): { table: string; footnotes: string[] } {
  const rows: string[][] = [];
  const footnotes: string[] = [];
  configs.forEach((c, gi) => {
    if (gi > 0) rows.push([]);
    let first = true;
    const lead = (): string[] => {
      const cells = first ? [fmtSize(c.size), String(c.window)] : ['', ''];
      first = false;
      return cells;
    };
    for (const o of c.outcomes) {
      if (o.result === undefined) {
        footnotes.push(`[${footnotes.length + 1}] ${o.relay}, ${fmtSize(c.size)}, window ${c.window}: ${o.error ?? 'failed'}`);
        rows.push([...lead(), o.relay, `failed [${footnotes.length}]`]);
        continue;
      }
      const r = o.result;
      const faults = r.faults > 0 ? ` (${r.faults} faults)` : '';
      rows.push([...lead(), o.relay + faults, ...values(r).map(fmt), fmt(r.messages)]);
    }
    const subject = c.outcomes.find((o) => o.relay === SUBJECT)?.result;
    if (subject === undefined) return;
    for (const b of BASELINES) {
      const base = c.outcomes.find((o) => o.relay === b)?.result;
      if (base === undefined) continue;
      const bv = values(base);
      rows.push([...lead(), `${SUBJECT}/${b}`, ...values(subject).map((v, i) => fmtRatio(ratio(v, bv[i])))]);
    }
  });
  return { table: formatTable(COLUMNS, rows), footnotes };
}

const IDLE_COLUMNS: readonly Column[] = [
  { title: 'relay', align: 'left' },
  { title: 'sessions' },
  { title: 'conns' },
  { title: 'RSS before MB' },
  { title: 'RSS after MB' },
  { title: 'KB/session' },
  { title: 'KB/conn' },
];

function idleValues(r: IdleResult): number[] {
  const grown = r.afterKb - r.beforeKb;
  return [r.beforeKb / 1024, r.afterKb / 1024, grown / r.sessions, grown / r.connections];
}

export function idleTable(outcomes: readonly IdleOutcome[]): { table: string; footnotes: string[] } {
  const rows: string[][] = [];
  const footnotes: string[] = [];
  for (const o of outcomes) {
    if (o.result === undefined) {
      footnotes.push(`[${footnotes.length + 1}] ${o.relay}: ${o.error ?? 'failed'}`);
      rows.push([o.relay, `failed [${footnotes.length}]`]);
      continue;
    }
    rows.push([o.relay, fmt(o.result.sessions), fmt(o.result.connections), ...idleValues(o.result).map(fmt)]);
  }
  const subject = outcomes.find((o) => o.relay === SUBJECT)?.result;
  if (subject !== undefined) {
    for (const b of BASELINES) {
      const base = outcomes.find((o) => o.relay === b)?.result;
      if (base === undefined) continue;
      const bv = idleValues(base);
      rows.push([`${SUBJECT}/${b}`, '', '', ...idleValues(subject).map((v, i) => fmtRatio(ratio(v, bv[i])))]);
    }
  }
  return { table: formatTable(IDLE_COLUMNS, rows), footnotes };
}

/**
 * Issue 14 item 2, one line per target whose row and baseline ran: imedge >= 1.0x Kamailio
 * (TCP workers = cores) in msg/s at 1 KiB and MB/s at 256 KiB, window 64; relay CPU per message
 * <= Kamailio's; >= 0.6x the Node pipe's MB/s at 256 KiB.
 */
export function relayTargetLines(configs: readonly ConfigOutcome[]): string[] {
  const lines: string[] = [];
  const fig = (c: ConfigOutcome, relay: string) => c.outcomes.find((o) => o.relay === relay)?.result?.figures;
  const line = (what: string, r: number, ok: boolean): void => {
    lines.push(`target (issue 14): ${what}: ${fmtRatio(r)} ${ok ? 'met' : 'MISSED'}`);
  };
  for (const c of configs) {
    if (c.window !== 64 || (c.size !== 1024 && c.size !== 256 * 1024)) continue;
    const me = fig(c, SUBJECT);
    if (me === undefined) continue;
    const at = `${fmtSize(c.size)} window 64`;
    const k = fig(c, 'kamailio');
    if (k !== undefined) {
      const key = c.size === 1024 ? 'msgsPerSec' : 'mbPerSec';
      const r = ratio(me[key], k[key]);
      line(`${c.size === 1024 ? 'msg/s' : 'MB/s'} >= 1.0x kamailio at ${at}`, r, r >= 1);
      const cpu = ratio(me.cpuUsPerMsg, k.cpuUsPerMsg);
      line(`relay CPU per message <= kamailio's at ${at}`, cpu, cpu <= 1);
    }
    const pipe = fig(c, 'pipe');
    if (pipe !== undefined && c.size === 256 * 1024) {
      const r = ratio(me.mbPerSec, pipe.mbPerSec);
      line(`MB/s >= 0.6x the Node pipe at ${at}`, r, r >= 0.6);
    }
  }
  return lines;
}
