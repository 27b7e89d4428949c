// The admin page's status (issue 12 item 2): one snapshot built by the composition root from
// cached figures (the health sampler's last sample, counters), served as JSON at /status and
// pushed over Server-Sent Events at /status/events on one timer for every open stream.
import type * as http from 'node:http';
import type { Logger } from '../log';
import { json } from './respond';

export interface StatusSnapshot {
  readonly version: string;
  readonly board: string;
  readonly domain: string;
  readonly startedAt: string;
  readonly uptimeS: number;
  readonly health: { ok: boolean; checks: { name: string; ok: boolean; detail?: string }[] };
  readonly pressure: { underPressure: boolean; reasons: string[]; details: string[] };
  /** The health sampler's last sample (null before its first). */
  readonly sample: {
    at: string;
    tempC: number | null;
    memAvailableBytes: number | null;
    memTotalBytes: number;
    rssBytes: number;
    diskFreeBytes: number | null;
    load1: number | null;
    cpuCount: number;
    eventLoopLagMs: number;
  } | null;
  readonly listeners: Record<string, unknown>;
  readonly watchdog: { enabled: false } | { enabled: true; armed: boolean; linkOpen: boolean; heartbeatsSent: number; heartbeatsWithheld: number; answersMissed: number };
  readonly counts: { registrations: number; sessions: Record<string, number>; groupSessions: number; participants: number };
  readonly statusStreams: { open: number; refused: number };
}

export interface StatusStreamOptions {
  readonly periodMs: number;
  readonly maxClients: number;
}

/** A stream whose socket holds this much unsent is too slow to follow: it is closed. */
const MAX_BUFFERED_BYTES = 256 * 1024;

export class StatusStream {
  readonly stats = { open: 0, refused: 0, slowClosed: 0, pushes: 0 };
  private readonly clients = new Set<http.ServerResponse>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly snapshot: () => StatusSnapshot,
    private readonly opts: StatusStreamOptions,
    private readonly log: Logger,
  ) {}

  /** GET /status: the snapshot once. */
  readonly once = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
    json(res, 200, this.snapshot());
  };

  /** GET /status/events: text/event-stream, one `status` event now and every period. */
  readonly events = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (this.clients.size >= this.opts.maxClients) {
      this.stats.refused++;
      this.log.warn({ open: this.clients.size, max: this.opts.maxClients }, 'status stream refused: http.maxStatusClients reached');
      return json(res, 503, { error: `too many status streams open (${this.opts.maxClients}): close another page` }, { 'retry-after': '10' });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    if (req.method === 'HEAD') return void res.end();
    this.clients.add(res);
    this.stats.open = this.clients.size;
    res.once('close', () => {
      this.clients.delete(res);
      this.stats.open = this.clients.size;
      if (this.clients.size === 0) this.stopTimer();
    });
    // a lost stream is retried by the browser after this long
    res.write(`retry: ${Math.max(1000, this.opts.periodMs)}\n\n`);
    this.send(res, this.event());
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.push(), this.opts.periodMs);
      this.timer.unref();
    }
  };

  private event(): string {
    return `event: status\ndata: ${JSON.stringify(this.snapshot())}\n\n`;
  }

  private push(): void {
    try {
      const e = this.event();
      this.stats.pushes++;
      for (const res of this.clients) this.send(res, e);
    } catch (err) {
      this.log.error({ err }, 'status snapshot failed');
    }
  }

  private send(res: http.ServerResponse, e: string): void {
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      this.stats.slowClosed++;
      res.destroy();
      return;
    }
    res.write(e);
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  close(): void {
    this.stopTimer();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}
