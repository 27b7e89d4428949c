/**
 * Idle footprint of a fresh `imedge serve` (issue 14 item 4): RSS a few seconds after the
 * "listening" line, with `npm start`'s defaults (no bench limits), beside Node's own floor in
 * the same run: a bare `node -e` process holding the same listeners (SIP UDP+TCP on one port,
 * MSRP TCP, admin HTTP). Starts are interleaved (server, floor, server, ...) so that load from
 * others on the machine falls on both alike; medians of `runs`.
 */
import { spawn } from 'node:child_process';
import { memStatus, pssKb } from './proc-stats';
import { startImedge } from './imedge-server';
import { median } from './stats';
import { formatTable } from './table';

export interface ServeIdleFigures {
  readonly runs: number;
  readonly settleMs: number;
  readonly imedgeRssKb: number;
  readonly imedgePssKb: number;
  readonly floorRssKb: number;
  readonly floorPssKb: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What `imedge serve` listens on, held by a bare node process: Node's floor. */
const FLOOR_SCRIPT = `
const net = require('node:net'), dgram = require('node:dgram'), http = require('node:http');
const tcp = net.createServer().listen(0, '127.0.0.1', () => {
  dgram.createSocket('udp4').bind(tcp.address().port, '127.0.0.1', () => {
    net.createServer().listen(0, '127.0.0.1', () => {
      http.createServer().listen(0, '127.0.0.1', () => process.stdout.write('listening\\n'));
    });
  });
});`;

async function floorOnce(settleMs: number): Promise<{ rss: number; pss: number }> {
  const proc = spawn(process.execPath, ['-e', FLOOR_SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      proc.stdout.once('data', () => resolve());
      proc.once('exit', (c) => reject(new Error(`floor process exited ${c}`)));
    });
    await sleep(settleMs);
    return { rss: memStatus(proc.pid as number)?.rssKb ?? Number.NaN, pss: pssKb(proc.pid as number) ?? Number.NaN };
  } finally {
    proc.kill('SIGKILL');
  }
}

async function imedgeOnce(settleMs: number): Promise<{ rss: number; pss: number }> {
  // npm start's defaults: none of the bench's raised limits, its log level
  const server = await startImedge({}, { defaults: true });
  try {
    await sleep(settleMs);
    return { rss: memStatus(server.pid)?.rssKb ?? Number.NaN, pss: pssKb(server.pid) ?? Number.NaN };
  } finally {
    await server.stop();
  }
}

export async function measureServeIdle(runs: number, settleMs = 3000): Promise<ServeIdleFigures> {
  const im: { rss: number; pss: number }[] = [];
  const fl: { rss: number; pss: number }[] = [];
  for (let i = 0; i < runs; i++) {
    im.push(await imedgeOnce(settleMs));
    fl.push(await floorOnce(settleMs));
  }
  const med = (xs: number[]) => median(xs);
  return {
    runs,
    settleMs,
    imedgeRssKb: med(im.map((x) => x.rss)),
    imedgePssKb: med(im.map((x) => x.pss)),
    floorRssKb: med(fl.map((x) => x.rss)),
    floorPssKb: med(fl.map((x) => x.pss)),
  };
}

/** Issue 14 item 4: idle RSS <= 55 MB on the reference machine. */
export const IDLE_RSS_TARGET_MB = 55;

export function serveIdleTable(f: ServeIdleFigures): string {
  const mb = (kb: number) => (kb / 1024).toFixed(1);
  const rows = [
    ['RSS MB', mb(f.imedgeRssKb), mb(f.floorRssKb), `${(f.imedgeRssKb / f.floorRssKb).toFixed(2)}x`, `+${mb(f.imedgeRssKb - f.floorRssKb)}`],
    ['PSS MB', mb(f.imedgePssKb), mb(f.floorPssKb), `${(f.imedgePssKb / f.floorPssKb).toFixed(2)}x`, `+${mb(f.imedgePssKb - f.floorPssKb)}`],
  ];
  const cols = ['figure', 'imedge serve', 'baseline: node floor', 'ratio', 'above floor'].map((title, i) => ({
    title,
    align: i === 0 ? ('left' as const) : ('right' as const),
  }));
  const met = f.imedgeRssKb / 1024 <= IDLE_RSS_TARGET_MB;
  return (
    `Idle footprint of a fresh imedge serve (npm start defaults), ${f.settleMs / 1000} s after listening, median of ${f.runs} starts\n` +
    `${formatTable(cols, rows)}\n` +
    `target (issue 14): idle RSS <= ${IDLE_RSS_TARGET_MB} MB: ${met ? 'met' : `missed by ${(f.imedgeRssKb / 1024 - IDLE_RSS_TARGET_MB).toFixed(1)} MB`}\n` +
    'node floor = a bare node -e process holding the same listeners (SIP UDP+TCP, MSRP TCP, HTTP). PSS shares the node\n' +
    "binary's pages with every other node process on the machine: compare it within one run only."
  );
}
