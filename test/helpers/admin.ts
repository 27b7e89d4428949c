// A bare admin HTTP server for tests of the admin port itself: no IM server behind it, one
// /metrics route, the limits and token under test, log lines kept when asked.
import { AdminServer, type AdminLimits } from '../../src/admin/http';
import { createLogger, silentLogger } from '../../src/log';

export function startTestAdmin(opts: { token?: string; limits?: Partial<AdminLimits>; lines?: string[] } = {}): Promise<AdminServer> {
  const sink = opts.lines;
  return AdminServer.start('127.0.0.1', 0, {
    version: 'test',
    startedAt: Date.now(),
    health: () => ({ ok: true, checks: [] }),
    listeners: () => ({}),
    routes: new Map([['/metrics', { methods: ['GET', 'HEAD'], handler: (_q, s) => void s.end('m 1\n') }]]),
    ...(opts.token !== undefined ? { token: opts.token } : {}),
    limits: opts.limits ?? {},
    log: sink === undefined ? silentLogger() : createLogger({ level: 'debug', destination: { write: (l: string) => void sink.push(l) } }),
  });
}
