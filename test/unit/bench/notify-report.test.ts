import { serializeConferenceInfo, type InfoUser } from '../../../src/xml';
import { connectedUsers, infoVersion } from '../../../scripts/bench/client/conference-scan';
import { frameLength, parseSip } from '../../../scripts/bench/client/sip-raw';
import { groupsFigure, notifyFiguresOf, notifyTable, type NotifyRow, type NotifyRun } from '../../../scripts/bench/notify-report';

const N = Number.NaN;

function run(over: Partial<NotifyRun> = {}): NotifyRun {
  // 2 joins at 0 and 10 ms; 3 watchers; watcher w sees join j (w + 1) ms after it
  return {
    watchers: 3,
    joins: 2,
    joinMs: [0, 10],
    seenMs: [1, 11, 2, 12, 3, 13],
    received: 6,
    serverNotifies: 6,
    serverCoalesced: 0,
    cpuTicks: 2,
    clkTck: 100,
    ...over,
  };
}

describe('conference-state figures', () => {
  test('per join: the latest watcher; per pair: every watcher', () => {
    const f = notifyFiguresOf([run()]);
    expect(f.joins).toBe(2);
    expect(f.notifiesPerJoin).toBe(3);
    // both joins reach their last watcher 3 ms after
    expect(f.lastP50Ms).toBeCloseTo(3);
    expect(f.lastP99Ms).toBeCloseTo(3);
    // pairs 1, 1, 2, 2, 3, 3
    expect(f.pairP50Ms).toBeCloseTo(2);
    expect(f.pairP99Ms).toBeCloseTo(3);
    // 2 ticks = 20 ms over 2 joins
    expect(f.cpuMsPerJoin).toBeCloseTo(10);
    expect(f.missing).toBe(0);
  });

  test('a join a watcher never saw: counted missing, no last-watcher time, its other pairs kept', () => {
    const f = notifyFiguresOf([run({ seenMs: [1, 11, 2, N, 3, 13] })]);
    expect(f.missing).toBe(1);
    // join 1 has no last watcher; join 0's is 3 ms
    expect(f.lastP99Ms).toBeCloseTo(3);
    expect(f.pairP99Ms).toBeCloseTo(3);
  });

  test('runs pool: counts add up, latencies of every join together', () => {
    const slow = run({ seenMs: [101, 111, 102, 112, 103, 113], serverNotifies: 4, serverCoalesced: 3, received: 4 });
    const f = notifyFiguresOf([run(), slow]);
    expect(f.runs).toBe(2);
    expect(f.joins).toBe(4);
    expect(f.notifies).toBe(10);
    expect(f.coalesced).toBe(3);
    expect(f.notifiesPerJoin).toBe(2.5);
    expect(f.lastP50Ms).toBeCloseTo(3);
    expect(f.lastP99Ms).toBeCloseTo(103);
  });
});

describe('conference-state table', () => {
  const spec = { watchers: 3, joins: 2, runs: 1, answerDelayMs: 100 };
  const rows: NotifyRow[] = [
    { label: 'paced, at once', mode: 'paced', answerDelayMs: 0, figures: notifyFiguresOf([run()]), errors: [] },
    { label: 'burst, at once', mode: 'burst', answerDelayMs: 0, figures: notifyFiguresOf([run({ serverNotifies: 5, received: 5, serverCoalesced: 2 })]), errors: [] },
    { label: 'burst, after 100 ms', mode: 'burst', answerDelayMs: 100, figures: notifyFiguresOf([run({ serverNotifies: 3, received: 2 })]), errors: [] },
  ];

  test('one row per kind; the burst line sets NOTIFYs sent against joins x watchers', () => {
    const t = notifyTable(spec, rows);
    const lines = t.table.split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[2]).toMatch(/^paced, at once\s+2\s+6\s+3\.00\s+0\s+3\.0\s+3\.0\s+3\.0\s+10\.0$/);
    expect(t.lines[0]).toBe('A burst of 2 joins to 3 watchers, one NOTIFY per join each, is 6 NOTIFYs; sent per burst: 5 with answers at once (83%), 3 with answers after 100 ms (50%).');
  });

  test('a mismatch between NOTIFYs read and sent, a failed row and errors are said', () => {
    const t = notifyTable(spec, [...rows, { label: 'broken', mode: 'burst', answerDelayMs: 0, figures: undefined, errors: ['SUBSCRIBE x: 403'] }]);
    expect(t.lines).toContain('burst, after 100 ms: watchers read 2 NOTIFYs, the server counts 3 sent');
    expect(t.lines).toContain('broken: failed (SUBSCRIBE x: 403)');
    expect(t.table).toMatch(/broken\s+failed/);
  });

  test('server counters come from the imedge_groups gauge', () => {
    const page = ['# HELP imedge_groups group sessions', '# TYPE imedge_groups gauge', 'imedge_groups{figure="events_notifies"} 2411', 'imedge_groups{figure="events_coalesced"} 19'].join('\n');
    expect(groupsFigure(page, 'events_notifies')).toBe(2411);
    expect(groupsFigure(page, 'events_coalesced')).toBe(19);
    expect(groupsFigure(page, 'events_refused')).toBeNaN();
  });
});

describe('what the bench watchers read of a NOTIFY', () => {
  const user = (name: string, status: 'connected' | 'pending'): InfoUser => ({
    entity: `sip:${name}@localhost`,
    roles: ['participant'],
    endpoint: { entity: `sip:${name}@localhost`, status, joiningMethod: 'dialed-in' },
  });

  test('RFC 4575 5.7.2: only users with a connected endpoint count as joined', () => {
    const body = serializeConferenceInfo({
      entity: 'sip:conf-1@localhost',
      state: 'full',
      version: 7,
      description: {},
      conferenceState: { userCount: 3, active: true },
      users: [user('a', 'connected'), user('b', 'pending'), user('c', 'connected')],
    });
    expect(connectedUsers(body)).toEqual(['sip:a@localhost', 'sip:c@localhost']);
    expect(infoVersion(body)).toBe(7);
    expect(connectedUsers('<conference-info/>')).toEqual([]);
  });

  test('SIP over TCP is framed by Content-Length; compact header names read as full ones', () => {
    const msg = Buffer.from('NOTIFY sip:p@127.0.0.1 SIP/2.0\r\ni: abc\r\nl: 5\r\n\r\nhello');
    expect(frameLength(msg.subarray(0, msg.length - 1))).toBe(0);
    expect(frameLength(Buffer.concat([msg, Buffer.from('NOTIFY')]))).toBe(msg.length);
    const m = parseSip(msg)!;
    expect(m.method).toBe('NOTIFY');
    expect(m.headers.get('call-id')).toEqual(['abc']);
    expect(m.body.toString()).toBe('hello');
    expect(frameLength(Buffer.from('x'.repeat(600 * 1024)))).toBe(-1);
  });
});
