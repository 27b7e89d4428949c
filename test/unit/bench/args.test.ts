import { availableParallelism } from 'node:os';
import { parseBenchArgs, parseSize } from '../../../scripts/bench/args';
import { senderToPath } from '../../../scripts/bench/session';

describe('bench command line', () => {
  test('defaults: the issue sizes and windows, every relay, 3 runs', () => {
    const o = parseBenchArgs([]);
    expect(o.sizes).toEqual([100, 1024, 16384, 262144]);
    expect(o.windows).toEqual([1, 64]);
    expect(o.only).toEqual(['pipe', 'imedge', 'kamailio', 'kamailio-1w', 'fanout', 'sessions', 'notify', 'idle', 'wear']);
    expect(o.receivers).toEqual([10, 50]);
    expect(o.fanoutSize).toBe(1024);
    expect(o.fanoutWindow).toBe(64);
    // as deployed: one Kamailio TCP worker per core
    expect(o.kamailioWorkers).toBe(availableParallelism());
    expect(o.runs).toBe(3);
    expect(o.idleSessions).toBe(1000);
  });

  test('--prev-dist names an earlier build to run as a baseline row; none by default', () => {
    expect(parseBenchArgs([]).prevDist).toBeUndefined();
    expect(parseBenchArgs(['--prev-dist=/tmp/old-dist']).prevDist).toBe('/tmp/old-dist');
  });

  test('--quick is one short run; explicit flags win', () => {
    expect(parseBenchArgs(['--quick']).runs).toBe(1);
    expect(parseBenchArgs(['--quick', '--runs=5']).runs).toBe(5);
    const o = parseBenchArgs(['--sizes=1k,256KiB', '--windows=8', '--only=pipe']);
    expect(o.sizes).toEqual([1024, 262144]);
    expect(o.windows).toEqual([8]);
    expect(o.only).toEqual(['pipe']);
  });

  test('--only=fanout runs the fan-out table alone; its receivers, size and window are flags', () => {
    const o = parseBenchArgs(['--only=fanout', '--receivers=5,20', '--fanout-size=4k', '--fanout-window=8', '--kamailio-workers=4']);
    expect(o.only).toEqual(['fanout']);
    expect(o.receivers).toEqual([5, 20]);
    expect(o.fanoutSize).toBe(4096);
    expect(o.fanoutWindow).toBe(8);
    expect(o.kamailioWorkers).toBe(4);
    expect(o.fanoutCpuProf).toBeUndefined();
    expect(o.fanoutPace).toBe(0.1);
    expect(parseBenchArgs(['--fanout-pace=0.5']).fanoutPace).toBe(0.5);
    expect(() => parseBenchArgs(['--fanout-pace=2'])).toThrow(/share/);
  });

  test('--only=notify runs the conference-state table alone: watchers, joins and the slow answer are flags', () => {
    const d = parseBenchArgs(['--only=notify']);
    expect(d.only).toEqual(['notify']);
    expect([d.notifyWatchers, d.notifyJoins, d.notifyDelayMs]).toEqual([50, 50, 100]);
    const o = parseBenchArgs(['--only=notify', '--quick', '--notify-watchers=10', '--notify-joins=20', '--notify-delay=250']);
    expect([o.notifyWatchers, o.notifyJoins, o.notifyDelayMs, o.runs]).toEqual([10, 20, 250, 1]);
    expect(() => parseBenchArgs(['--notify-watchers=0'])).toThrow();
    expect(() => parseBenchArgs(['--notify-joins=501'])).toThrow(/at most/);
    expect(() => parseBenchArgs(['--notify-delay=0'])).toThrow(/1\.\.10000/);
  });

  test('bad values are refused', () => {
    expect(() => parseBenchArgs(['--only=opensips'])).toThrow(/unknown part opensips/);
    expect(() => parseBenchArgs(['--receivers=0'])).toThrow();
    expect(() => parseBenchArgs(['--receivers=100000'])).toThrow(/at most/);
    expect(() => parseBenchArgs(['--kamailio-workers=0'])).toThrow();
    expect(() => parseBenchArgs(['--windows=0'])).toThrow();
    expect(() => parseBenchArgs(['--bogus'])).toThrow();
    expect(() => parseSize('12q')).toThrow();
  });

  test('RFC 4976: after B AUTHs, A sends to B\'s Use-Path then to B', () => {
    const t = { host: '127.0.0.1', port: 1, handshakeToPath: [], toPath: ['msrp://r:1/x;tcp'] };
    const useB = 'msrp://127.0.0.1:5/s1;tcp';
    expect(senderToPath({ ...t, handshake: 'auth' }, { ...t, handshake: 'auth' }, useB, 'msrp://b/b;tcp')).toEqual([
      useB,
      'msrp://b/b;tcp',
    ]);
    expect(senderToPath({ ...t, handshake: 'bind' }, { ...t, handshake: 'bind' }, undefined, 'msrp://b/b;tcp')).toEqual([
      'msrp://r:1/x;tcp',
    ]);
  });
});
