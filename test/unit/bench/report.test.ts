import type { RowResult } from '../../../scripts/bench/measure';
import { idleTable, throughputTable } from '../../../scripts/bench/report';

function row(msgsPerSec: number, peakRssMb: number): RowResult {
  return {
    figures: { msgsPerSec, mbPerSec: 1, bP50Ms: 1, bP99Ms: 2, aP50Ms: 1, aP99Ms: 2, cpuUsPerMsg: 10 },
    peakRssMb,
    messages: 100,
    faults: 0,
  };
}

describe('bench report', () => {
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
