// The load script (issue 11 item 7) run small: it must set up its sessions through a real server,
// deliver every message with SIPp's signalling beside it, and report the figures it promises.
// The figures themselves (the largest N held) come from `npm run load` and go into the note.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { requireSipp } from '../../helpers/sipp';

const SCRIPT = path.resolve(__dirname, '../../../dist/scripts/load/index.js');

interface Step {
  sessions: number;
  opened: number;
  setupFailed: number;
  sent: number;
  received: number;
  refused: number;
  unexpectedEnds: number;
  p99Ms: number;
  rss: { samples: number; startMb: number; flat: boolean };
  sipp: { successful: number; failed: number; exitCode: number | null };
  ok: boolean;
}

describe('scripts/load (issue 11 item 7)', () => {
  beforeAll(() => requireSipp());

  it('holds N sessions with SIPp signalling beside them: every message delivered, no errors, RSS sampled', () => {
    const r = spawnSync(
      process.execPath,
      [SCRIPT, '--sessions=4', '--rate=2', '--seconds=3', '--warmup=1', '--sipp-rate=5', '--generators=1', '--p99-ms=10000', '--json'],
      { encoding: 'utf8', timeout: 90_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { steps: Step[] };
    expect(out.steps).toHaveLength(1);
    const s = out.steps[0];
    expect(s).toMatchObject({ sessions: 4, opened: 4, setupFailed: 0, refused: 0, unexpectedEnds: 0 });
    expect(s.sent).toBeGreaterThan(0);
    expect(s.received).toBe(s.sent);
    expect(Number.isFinite(s.p99Ms)).toBe(true);
    expect(s.sipp.failed).toBe(0);
    expect(s.sipp.exitCode).toBe(0);
    expect(s.sipp.successful).toBe(20);
    expect(s.rss.samples).toBeGreaterThan(0);
    expect(s.ok).toBe(true);
  }, 120_000);

  it('a bad option exits 2 naming it', () => {
    const r = spawnSync(process.execPath, [SCRIPT, '--rate=fast'], { encoding: 'utf8', timeout: 10_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--rate: fast/);
  });
});
