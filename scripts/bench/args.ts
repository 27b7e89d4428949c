import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

/**
 * 'kamailio': TCP workers = cores, as deployed; 'kamailio-1w': one TCP worker; 'imedge-prev':
 * the relay of an earlier build (--prev-dist), so that a change is measured in the same run.
 */
export type RelayName = 'pipe' | 'imedge' | 'kamailio' | 'kamailio-1w' | 'imedge-prev';
/** The relay rows --only selects; imedge-prev runs whenever --prev-dist names a build. */
export const RELAY_NAMES: readonly Exclude<RelayName, 'imedge-prev'>[] = ['pipe', 'imedge', 'kamailio', 'kamailio-1w'];
/**
 * What --only selects: relay rows, the group fan-out table, the 1-1 session table, the
 * conference-state table, the idle footprint table, the SD-card wear table per board profile.
 */
export type PartName = Exclude<RelayName, 'imedge-prev'> | 'fanout' | 'sessions' | 'notify' | 'idle' | 'wear';
export const PART_NAMES: readonly PartName[] = [...RELAY_NAMES, 'fanout', 'sessions', 'notify', 'idle', 'wear'];

/** Receivers of one fan-out row at most (each is a connection of the receivers' process). */
export const MAX_RECEIVERS = 1000;
/** Watchers and joins of the conference-state table at most (each a SIP flow of the clients' process). */
export const MAX_NOTIFY_USERS = 500;

export interface BenchOptions {
  readonly sizes: readonly number[];
  readonly windows: readonly number[];
  readonly only: readonly PartName[];
  /** Measured runs per row; the table shows the per-figure median. */
  readonly runs: number;
  /** Target duration of one measured run; the message count is derived from the warm-up rate. */
  readonly seconds: number;
  /** Fixed message count per run instead of the derived one. */
  readonly messages: number | undefined;
  /** Largest body per SEND; bigger messages go out in chunks (RFC 4975 section 5.1). */
  readonly chunk: number;
  /** Idle sessions for the footprint table; 0 skips it. */
  readonly idleSessions: number;
  readonly kamailioBin: string;
  /** TCP workers of the 'kamailio' rows (default: one per core, as deployed). */
  readonly kamailioWorkers: number;
  /** dist/ of an earlier build whose relay runs as the 'imedge-prev' baseline; undefined = none. */
  readonly prevDist: string | undefined;
  /** Receiver counts of the fan-out table (one sender each). */
  readonly receivers: readonly number[];
  /** Message size and window of the fan-out table and of its 1-1 relay baseline. */
  readonly fanoutSize: number;
  readonly fanoutWindow: number;
  /** The fan-out's paced latency run: this share of each row's measured msg/s. */
  readonly fanoutPace: number;
  /** Directory for CPU profiles of the fan-out switch and receivers processes (node --cpu-prof); undefined = none. */
  readonly fanoutCpuProf: string | undefined;
  /** Concurrent client pairs for the session set-up table (issue 1-1 sessions); 0 skips it. */
  readonly sessions: number;
  /** Sessions held open for the RSS-per-session figure. */
  readonly openSessions: number;
  /** Conference-state table (issue 10): watchers subscribed, joins per row, the slow watchers' answer delay (ms). */
  readonly notifyWatchers: number;
  readonly notifyJoins: number;
  readonly notifyDelayMs: number;
  readonly help: boolean;
}

export const USAGE = `usage: npm run bench -- [options]
  --quick              1 run per row of ~1 s (default: 3 runs of ~2.5 s, median shown)
  --runs=N             measured runs per row (median shown)
  --seconds=S          target length of one measured run
  --messages=N         fixed number of messages per run (default: derived from the warm-up rate)
  --sizes=LIST         message sizes, e.g. 100,1k,16k,256k (default 100,1k,16k,256k)
  --windows=LIST       SEND requests outstanding, e.g. 1,64 (default 1,64)
  --only=LIST          what to run (default all): relay rows pipe,imedge,kamailio,kamailio-1w;
                       fanout (group session switch); sessions (1-1 session set-up table);
                       notify (conference state NOTIFYs per join, issue 10);
                       idle (a fresh imedge serve beside Node's floor, and per idle MSRP
                       connection beside the Node pipe, issue 14 item 4)
                       wear (bytes written and fsyncs per operation, each board profile, issue 13)
  --chunk=BYTES        largest body per SEND chunk (default 8k: Kamailio's msrp module takes <= 10 KiB)
  --idle-sessions=N    sessions for the idle footprint table (default 1000, 0 = skip)
  --kamailio-bin=PATH  kamailio binary (default: kamailio on PATH or /usr/sbin/kamailio)
  --kamailio-workers=N TCP workers of the kamailio rows (default: one per core; kamailio-1w has 1)
  --prev-dist=DIR      also run the relay of an earlier build (its compiled dist/ directory) as the
                       baseline row imedge-prev: a change measured against its parent in one run
  --receivers=LIST     receivers per sender in the fan-out table (default 10,50)
  --fanout-size=BYTES  message size of the fan-out table and its 1-1 baseline (default 1k)
  --fanout-window=N    SENDs outstanding at the sender there (default 64)
  --fanout-pace=SHARE  paced latency run at this share of each row's msg/s (default 0.1)
  --fanout-cpu-prof=DIR  run the fan-out switch and receivers processes under node --cpu-prof, profiles to DIR
  --sessions=N         concurrent client pairs for the 1-1 session set-up table (default 8, 0 = skip)
  --open-sessions=N    sessions held open for RSS per session (default 200)
  --notify-watchers=N  watchers subscribed to the conference state (default 50)
  --notify-joins=N     joins per conference-state row, paced and in a burst (default 50)
  --notify-delay=MS    the slow watchers answer each NOTIFY this late (default 100)`;

/** "100", "1k", "16KiB", "256k" -> bytes (k = 1024). */
export function parseSize(text: string): number {
  const m = /^([0-9]+)\s*(b|k|kb|kib|m|mb|mib)?$/i.exec(text.trim());
  if (m === null) throw new Error(`bad size: ${text}`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1;
  const n = Number(m[1]) * mult;
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`bad size: ${text}`);
  return n;
}

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} wants a non-negative integer, got ${text}`);
  return n;
}

function share(name: string, text: string): number {
  const n = Number(text);
  if (!(n > 0 && n <= 1)) throw new Error(`--${name} wants a share 0 < x <= 1, got ${text}`);
  return n;
}

function list<T>(text: string, each: (s: string) => T): T[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(each);
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      seconds: { type: 'string' },
      messages: { type: 'string' },
      sizes: { type: 'string', default: '100,1k,16k,256k' },
      windows: { type: 'string', default: '1,64' },
      only: { type: 'string', default: PART_NAMES.join(',') },
      chunk: { type: 'string', default: '8k' },
      'idle-sessions': { type: 'string', default: '1000' },
      'kamailio-bin': { type: 'string', default: '' },
      'kamailio-workers': { type: 'string' },
      'prev-dist': { type: 'string' },
      receivers: { type: 'string', default: '10,50' },
      'fanout-size': { type: 'string', default: '1k' },
      'fanout-window': { type: 'string', default: '64' },
      'fanout-cpu-prof': { type: 'string' },
      'fanout-pace': { type: 'string', default: '0.1' },
      sessions: { type: 'string', default: '8' },
      'open-sessions': { type: 'string', default: '200' },
      'notify-watchers': { type: 'string', default: '50' },
      'notify-joins': { type: 'string', default: '50' },
      'notify-delay': { type: 'string', default: '100' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const only = list(values.only, (s) => {
    if (!(PART_NAMES as readonly string[]).includes(s)) throw new Error(`--only: unknown part ${s} (one of ${PART_NAMES.join(', ')})`);
    return s as PartName;
  });
  const atLeastOne = (name: string, text: string): number => {
    const n = positiveInt(name, text);
    if (n < 1) throw new Error(`--${name}: at least 1`);
    return n;
  };
  const kamailioWorkers =
    values['kamailio-workers'] === undefined ? availableParallelism() : atLeastOne('kamailio-workers', values['kamailio-workers']);
  const receivers = list(values.receivers, (s) => {
    const n = atLeastOne('receivers', s);
    if (n > MAX_RECEIVERS) throw new Error(`--receivers: at most ${MAX_RECEIVERS} per sender`);
    return n;
  });
  const notifyUsers = (name: string, text: string): number => {
    const n = atLeastOne(name, text);
    if (n > MAX_NOTIFY_USERS) throw new Error(`--${name}: at most ${MAX_NOTIFY_USERS}`);
    return n;
  };
  const notifyDelayMs = positiveInt('notify-delay', values['notify-delay']);
  if (notifyDelayMs < 1 || notifyDelayMs > 10_000) throw new Error('--notify-delay wants 1..10000 ms');
  const windows = list(values.windows, (s) => {
    const n = positiveInt('windows', s);
    if (n < 1) throw new Error('--windows: a window is at least 1');
    return n;
  });
  const seconds = values.seconds === undefined ? (values.quick ? 1 : 2.5) : Number(values.seconds);
  if (!(seconds > 0 && seconds <= 60)) throw new Error('--seconds wants 0 < S <= 60');
  const runs = values.runs === undefined ? (values.quick ? 1 : 3) : positiveInt('runs', values.runs);
  if (runs < 1) throw new Error('--runs wants at least 1');
  const messages = values.messages === undefined ? undefined : positiveInt('messages', values.messages);
  if (messages === 0) throw new Error('--messages wants at least 1');
  return {
    sizes: list(values.sizes, parseSize),
    windows,
    only,
    runs,
    seconds,
    messages,
    chunk: parseSize(values.chunk),
    idleSessions: positiveInt('idle-sessions', values['idle-sessions']),
    kamailioBin: values['kamailio-bin'],
    kamailioWorkers,
    prevDist: values['prev-dist'] === undefined || values['prev-dist'] === '' ? undefined : resolve(values['prev-dist']),
    receivers,
    fanoutSize: parseSize(values['fanout-size']),
    fanoutWindow: atLeastOne('fanout-window', values['fanout-window']),
    fanoutPace: share('fanout-pace', values['fanout-pace']),
    fanoutCpuProf: values['fanout-cpu-prof'] === undefined || values['fanout-cpu-prof'] === '' ? undefined : resolve(values['fanout-cpu-prof']),
    sessions: positiveInt('sessions', values.sessions),
    openSessions: positiveInt('open-sessions', values['open-sessions']),
    notifyWatchers: notifyUsers('notify-watchers', values['notify-watchers']),
    notifyJoins: notifyUsers('notify-joins', values['notify-joins']),
    notifyDelayMs,
    help: values.help,
  };
}
