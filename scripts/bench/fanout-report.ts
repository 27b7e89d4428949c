/** Figures and table of the group fan-out benchmark (pure). */
import { percentile, ratio } from './stats';
import { fmt, fmtRatio, fmtSize, formatTable, type Column } from './table';

export interface FanoutRunTimes {
  readonly receivers: number;
  /** ns on the shared monotonic clock, one per message: first chunk written at the sender. */
  readonly sendNs: ArrayLike<number>;
  /** The 200 to its last chunk back at the sender. */
  readonly ackNs: ArrayLike<number>;
  /** receivers x messages: doneNs[r * messages + i], message i complete at receiver r. */
  readonly doneNs: ArrayLike<number>;
  readonly cpuTicks: number;
  /** CPU ticks of the sender's and the receivers' processes over the same run. */
  readonly senderTicks: number;
  readonly receiversTicks: number;
  readonly clkTck: number;
}

export interface FanoutFigures {
  /** Messages the sender got through per second. */
  readonly msgsPerSec: number;
  /** Messages complete at a receiver per second, summed over the receivers. */
  readonly deliveriesPerSec: number;
  /** First chunk written at the sender -> message complete at one receiver, over every delivery. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Relay or switch CPU (user + system) per delivery. */
  readonly cpuUsPerDelivery: number;
  /** Cores kept busy (CPU seconds per second of the run): relay or switch, sender, receivers. */
  readonly subjectCores: number;
  readonly senderCores: number;
  readonly receiversCores: number;
}

export const FANOUT_KEYS: readonly (keyof FanoutFigures)[] = [
  'msgsPerSec',
  'deliveriesPerSec',
  'p50Ms',
  'p99Ms',
  'cpuUsPerDelivery',
  'subjectCores',
  'senderCores',
  'receiversCores',
];

/** Over the whole run: from the first SEND written to the last event (a delivery or a 200). */
export function fanoutFiguresOf(t: FanoutRunTimes): FanoutFigures {
  const n = t.sendNs.length;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    if (Number.isFinite(t.sendNs[i])) first = Math.min(first, t.sendNs[i]);
    if (Number.isFinite(t.ackNs[i])) last = Math.max(last, t.ackNs[i]);
  }
  const latencies: number[] = [];
  for (let j = 0; j < t.doneNs.length; j++) {
    const done = t.doneNs[j];
    if (!Number.isFinite(done)) continue;
    last = Math.max(last, done);
    const d = done - t.sendNs[j % n];
    if (Number.isFinite(d)) latencies.push(d / 1e6);
  }
  const seconds = (last - first) / 1e9;
  const ok = n > 0 && seconds > 0 && Number.isFinite(seconds);
  const deliveries = n * t.receivers;
  const cores = (ticks: number): number => (ok ? ticks / t.clkTck / seconds : Number.NaN);
  return {
    msgsPerSec: ok ? n / seconds : Number.NaN,
    deliveriesPerSec: ok ? deliveries / seconds : Number.NaN,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    cpuUsPerDelivery: deliveries > 0 ? (t.cpuTicks * 1e6) / t.clkTck / deliveries : Number.NaN,
    subjectCores: cores(t.cpuTicks),
    senderCores: cores(t.senderTicks),
    receiversCores: cores(t.receiversTicks),
  };
}

export interface FanoutMemory {
  /** (RSS with the receivers bound - RSS with only the sender bound) / receivers, KiB. */
  readonly kbPerParticipantBound: number;
  /** Of which, after a full GC: JS heap, and memory outside it (Buffers), KiB. */
  readonly heapKbPerParticipant: number;
  readonly externalKbPerParticipant: number;
  /** Highest ring occupancy any leg reached, bytes. */
  readonly ringHighWater: number;
  readonly ringBytes: number;
}

export interface FanoutRow {
  /** 'relay': the 1-1 relay (one receiver), the baseline; 'switch': the group switch. */
  readonly path: 'relay' | 'switch';
  readonly receivers: number;
  /** Medians of the measured runs: as fast as the window allows. */
  readonly figures?: FanoutFigures;
  /** One run paced at spec.paceShare of figures.msgsPerSec: latency at a light load. */
  readonly paced?: FanoutFigures;
  readonly peakRssMb?: number;
  readonly memory?: FanoutMemory;
  /** Messages per measured run (the last run's). */
  readonly messages?: number;
  /** Error answers, short or duplicate deliveries, failure reports, removed members. */
  readonly faults?: number;
  readonly error?: string;
}

export interface FanoutSpecText {
  readonly size: number;
  readonly window: number;
  readonly runs: number;
  /** The paced run's rate as a share of the row's measured msgs/s. */
  readonly paceShare: number;
}


/** Targets of issue 9 / 14 item 3. */
export const FANOUT_TARGETS = Object.freeze({
  /** Deliveries/s at least the 1-1 relay's msgs/s. */
  minRatio: 1.0,
  /** p99 delivery latency at the largest receiver count, ms. */
  maxP99Ms: 50,
  /** RSS per participant above its ring, KiB. */
  maxKbPerParticipant: 20,
});

const COLUMNS: readonly Column[] = [
  { title: 'receivers' },
  { title: 'path', align: 'left' },
  { title: 'msg/s' },
  { title: 'deliveries/s' },
  { title: 'p50 ms' },
  { title: 'p99 ms' },
  { title: 'paced p50 ms' },
  { title: 'paced p99 ms' },
  { title: 'CPU us/delivery' },
  { title: 'cores busy' },
  { title: 'peak RSS MB' },
  { title: 'KB/participant' },
  { title: 'JS heap KB' },
  { title: 'ring high KB' },
  { title: 'msgs/run' },
];

function kb(bytes: number | undefined): string {
  return bytes === undefined ? '' : fmt(bytes / 1024);
}

/**
 * The relay baseline row, each switch row, and under each switch row its ratio to the relay
 * (deliveries/s over the relay's msgs/s, CPU per delivery over the relay's per message); then
 * one line per target saying met or missed.
 */
export function fanoutTable(spec: FanoutSpecText, rows: readonly FanoutRow[]): { table: string; lines: string[] } {
  const out: string[][] = [];
  const lines: string[] = [];
  const base = rows.find((r) => r.path === 'relay')?.figures;
  const basePaced = rows.find((r) => r.path === 'relay')?.paced;
  for (const r of rows) {
    const label = r.path === 'relay' ? '1-1 relay' : 'switch';
    if (r.figures === undefined) {
      lines.push(`[${lines.length + 1}] ${label}, ${r.receivers} receivers: ${r.error ?? 'failed'}`);
      out.push([String(r.receivers), label, `failed [${lines.length}]`]);
      continue;
    }
    const f = r.figures;
    const m = r.memory;
    let faults = (r.faults ?? 0) > 0 ? ` (${r.faults} faults)` : '';
    if (r.error !== undefined) {
      // measured, but a later run (the paced one) failed
      lines.push(`[${lines.length + 1}] ${label}, ${r.receivers} receivers: ${r.error}`);
      faults += ` [${lines.length}]`;
    }
    out.push([
      String(r.receivers),
      label + faults,
      fmt(f.msgsPerSec),
      fmt(f.deliveriesPerSec),
      fmt(f.p50Ms),
      fmt(f.p99Ms),
      fmt(r.paced?.p50Ms),
      fmt(r.paced?.p99Ms),
      fmt(f.cpuUsPerDelivery),
      [f.subjectCores, f.senderCores, f.receiversCores].map((c) => (Number.isFinite(c) ? c.toFixed(2) : '-')).join('/'),
      fmt(r.peakRssMb),
      m === undefined ? '' : fmt(m.kbPerParticipantBound),
      m === undefined ? '' : fmt(m.heapKbPerParticipant),
      m === undefined ? '' : kb(m.ringHighWater),
      fmt(r.messages),
    ]);
    if (r.path === 'switch' && base !== undefined) {
      out.push([
        '',
        'switch/relay',
        '',
        fmtRatio(ratio(f.deliveriesPerSec, base.msgsPerSec)),
        fmtRatio(ratio(f.p50Ms, base.p50Ms)),
        fmtRatio(ratio(f.p99Ms, base.p99Ms)),
        fmtRatio(ratio(r.paced?.p50Ms, basePaced?.p50Ms)),
        fmtRatio(ratio(r.paced?.p99Ms, basePaced?.p99Ms)),
        fmtRatio(ratio(f.cpuUsPerDelivery, base.cpuUsPerDelivery)),
      ]);
    }
  }
  const switches = rows.filter((r) => r.path === 'switch' && r.figures !== undefined);
  const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  if (base !== undefined) {
    for (const r of switches) {
      const q = ratio((r.figures as FanoutFigures).deliveriesPerSec, base.msgsPerSec);
      if (Number.isFinite(q)) {
        lines.push(
          `target deliveries/s >= ${FANOUT_TARGETS.minRatio.toFixed(1)}x the 1-1 relay's msg/s, ${r.receivers} receivers: ` +
            `${fmtRatio(q)} ${verdict(q >= FANOUT_TARGETS.minRatio)}`,
        );
      }
    }
  }
  const largest = switches.reduce<FanoutRow | undefined>((a, r) => (a === undefined || r.receivers > a.receivers ? r : a), undefined);
  if (largest !== undefined) {
    const sat = (largest.figures as FanoutFigures).p99Ms;
    const paced = largest.paced?.p99Ms;
    const max = FANOUT_TARGETS.maxP99Ms;
    lines.push(
      `target p99 delivery <= ${max} ms at ${largest.receivers} receivers: paced at ${Math.round(spec.paceShare * 100)}% of its msg/s ` +
        `${fmt(paced)} ms ${paced === undefined ? 'not measured' : verdict(paced <= max)}; at full window ${fmt(sat)} ms ` +
        `${verdict(sat <= max)} (queueing: >= window x receivers / deliveries/s = ` +
        `${fmt((spec.window * largest.receivers * 1000) / (largest.figures as FanoutFigures).deliveriesPerSec)} ms)`,
    );
    const m = largest.memory;
    if (m !== undefined) {
      const max = FANOUT_TARGETS.maxKbPerParticipant;
      lines.push(
        `target RSS per participant <= ${max} KB + its ring (ring: ${fmtSize(m.ringBytes)} per leg, taken once traffic fills ` +
          `its first small store) at ${largest.receivers} receivers: ${fmt(m.kbPerParticipantBound)} KB ${verdict(m.kbPerParticipantBound <= max)}`,
      );
    }
  }
  return {
    table: formatTable(COLUMNS, out),
    lines,
  };
}

export function fanoutHeading(spec: FanoutSpecText): string {
  return (
    `Group session fan-out: 1 sender, N receivers, ${fmtSize(spec.size)} messages, window ${spec.window}, ` +
    `through src/msrp/switch; baseline: the 1-1 relay (src/msrp/relay) between the same client processes, same size and window ` +
    `(runs/row ${spec.runs}, median shown)`
  );
}

export const FANOUT_NOTES: readonly string[] = [
  'delivery = a message complete at one receiver; p50/p99 = first chunk written at the sender -> complete at the receiver, over every delivery,',
  '  in the runs at full window (queueing included: the 200 is hop by hop, so every leg holds a backlog) and in one run paced at --fanout-pace',
  '  of the row\'s msg/s (a light load: on a machine shared with others, a higher share may already saturate what is left of it).',
  'CPU = relay/switch user+system time per delivery (the relay: per message); switch/relay divides by the relay row.',
  'cores busy = CPU seconds per second of the run: relay or switch / sender / receivers process (all share the machine\'s cores).',
  'KB/participant = (switch RSS with the N receivers connected and bound - with only the sender bound) / N, no traffic yet, after a full GC;',
  '  "only the sender" is read after 8 warm-up members were bound and removed, so one-off costs (compiled code, grown tables) are not counted;',
  '  JS heap KB = the V8 heap part of it; ring high = most bytes any leg ring held during the runs.',
  'Receivers: one client process holding N connections, each binding its session with an empty SEND (RFC 4975 5.4), answering every SEND 200 (one write per socket read).',
];
