import { join } from 'node:path';
import { forkWorker, type ChildRegistry } from '../rpc';
import { RELAY_TIMEOUT_MS, type RelayUnderTest, type RunningRelay, type SessionUris } from './types';

/** A minimal Node TCP pipe in its own process: the baseline of every row. */
export function pipeRelay(registry: ChildRegistry): RelayUnderTest {
  return {
    name: 'pipe',
    note: 'pipe: bare Node TCP pipe (no MSRP parsing); the 200 at A is the receiver\'s own, end to end.',
    probe: () => Promise.resolve(undefined),
    async start(): Promise<RunningRelay> {
      const w = await forkWorker('pipe relay', join(__dirname, 'pipe-main.js'), registry, { timeoutMs: RELAY_TIMEOUT_MS });
      const port = await w.call<number>('listen', null, RELAY_TIMEOUT_MS);
      return {
        pids: () => [w.pid],
        openSession(uris: SessionUris) {
          const base = { host: '127.0.0.1', port, handshake: 'none' as const, handshakeToPath: [] };
          // transparent: each client addresses the other directly
          return Promise.resolve({ a: { ...base, toPath: [uris.bUri] }, b: { ...base, toPath: [uris.aUri] } });
        },
        stop: () => w.stop(),
      };
    },
  };
}
