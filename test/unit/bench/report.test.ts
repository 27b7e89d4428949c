import type { RowResult } from '../../../scripts/bench/measure';
import { idleTable, relayTargetLines, throughputTable } from '../../../scripts/bench/report';

function row(msgsPerSec: number, peakRssMb: number): RowResult {
  return {
    figures: { msgsPerSec, mbPerSec: 1, bP50Ms: 1, bP99Ms: 2, aP50Ms: 1, aP99Ms: 2, cpuUsPerMsg: 10 },
    peakRssMb,
    messages: 100,
    faults: 0,
  };
}

function fig(msgsPerSec: number, mbPerSec: number, cpuUsPerMsg: number): RowResult {
  return { figures: { msgsPerSec, mbPerSec, bP50Ms: 1, bP99Ms: 2, aP50Ms: 1, aP99Ms: 2, cpuUsPerMsg }, peakRssMb: 50, messages: 100, faults: 0 };
}

describe('bench report', () => {
  test('issue 14 item 2: a target line per figure, met or MISSED, at 1 KiB and 256 KiB window 64 only', () => {
    const lines = relayTargetLines([
      {
        size: 1024,
        window: 64,
        outcomes: [
          { relay: 'pipe', result: fig(20000, 20, 25) },
          { relay: 'kamailio', result: fig(10000, 10, 60) },
          { relay: 'imedge', result: fig(12000, 12, 66) },
        ],
      },
      {
        size: 256 * 1024,
        window: 64,
        outcomes: [
          { relay: 'pipe', result: fig(400, 100, 1900) },
          { relay: 'kamailio', result: fig(300, 80, 2500) },
          { relay: 'imedge', result: fig(310, 50, 2400) },
        ],
      },
      { size: 100, window: 64, outcomes: [{ relay: 'imedge', result: fig(1, 1, 1) }] },
    ]);
    expect(lines).toEqual([
      'target (issue 14): msg/s >= 1.0x kamailio at 1 KiB window 64: 1.20x met',
      "target (issue 14): relay CPU per message <= kamailio's at 1 KiB window 64: 1.10x MISSED",
      'target (issue 14): MB/s >= 1.0x kamailio at 256 KiB window 64: 0.63x MISSED',
      "target (issue 14): relay CPU per message <= kamailio's at 256 KiB window 64: 0.96x met",
      'target (issue 14): MB/s >= 0.6x the Node pipe at 256 KiB window 64: 0.50x MISSED',
    ]);
  });

  test('imedge/pipe and imedge/kamailio ratio rows follow each configuration', () => {
    const { table, footnotes } = throughputTable([
      {
        size: 100,
        window: 1,
        outcomes: [
          { relay: 'pipe', result: row(1000, 40) },
          { relay: 'kamailio', result: row(800, 10) },
          { relay: 'imedge', result: row(500, 60) },
        ],
      },
    ]);
    const lines = table.split('\n');
    const pipeRatio = lines.find((l) => l.includes('imedge/pipe')) ?? '';
    const kamRatio = lines.find((l) => l.includes('imedge/kamailio')) ?? '';
    expect(pipeRatio).toMatch(/imedge\/pipe\s+0\.50x/);
    expect(pipeRatio.trim().endsWith('1.50x')).toBe(true);
    expect(kamRatio).toMatch(/imedge\/kamailio\s+0\.63x/);
    expect(footnotes).toEqual([]);
  });

  test('no ratio rows without imedge; a failed relay becomes a footnote', () => {
    const { table, footnotes } = throughputTable([
      {
        size: 1024,
        window: 64,
        outcomes: [
          { relay: 'pipe', result: row(1000, 40) },
          { relay: 'kamailio', error: 'did not start' },
        ],
      },
    ]);
    expect(table).not.toContain('imedge/');
    expect(table).toContain('failed [1]');
    expect(footnotes).toEqual(['[1] kamailio, 1 KiB, window 64: did not start']);
  });

  test('idle table: KB per session and per connection, with the ratio to the pipe', () => {
    const { table } = idleTable([
      { relay: 'pipe', result: { sessions: 1000, connections: 2000, beforeKb: 40_000, afterKb: 72_000 } },
      { relay: 'imedge', result: { sessions: 1000, connections: 2000, beforeKb: 60_000, afterKb: 124_000 } },
    ]);
    const pipe = table.split('\n').find((l) => l.startsWith('pipe')) ?? '';
    expect(pipe.trim().split(/\s+/).slice(-2)).toEqual(['32.0', '16.0']);
    const r = table.split('\n').find((l) => l.startsWith('imedge/pipe')) ?? '';
    expect(r.trim().split(/\s+/).slice(-2)).toEqual(['2.00x', '2.00x']);
  });
});
