import { join } from 'node:path';
import { serverNodeArgs } from '../imedge-server';
import { forkWorker, type ChildRegistry, type Worker } from '../rpc';
import { RELAY_TIMEOUT_MS, type ClientTarget, type RelayUnderTest, type RunningRelay } from './types';

/** imedge's MSRP relay (src/msrp/relay) run by imedge-main.js in its own process. */
export function imedgeRelay(
  registry: ChildRegistry,
  emulated?: { node: readonly string[]; timeoutScale: number },
  prev?: { dist: string },
): RelayUnderTest {
  const timeoutMs = RELAY_TIMEOUT_MS * (emulated?.timeoutScale ?? 1);
  const launch = async (): Promise<{ w: Worker; port: number }> => {
    // the relay loads no native addon: the same compiled JS runs on any architecture's Node
    const main = prev === undefined ? join(__dirname, 'imedge-main.js') : join(prev.dist, 'scripts/bench/relays/imedge-main.js');
    const w = await forkWorker(prev === undefined ? 'imedge relay' : 'imedge-prev relay', main, registry, {
      // the node flags `imedge serve` runs with (npm start, the systemd unit), or BENCH_SERVER_NODE_ARGS
      execArgv: serverNodeArgs(),
      timeoutMs,
      ...(emulated ? { node: emulated.node } : {}),
    });
    try {
      return { w, port: await w.call<number>('start', null, timeoutMs) };
    } catch (e) {
      await w.stop();
      throw e;
    }
  };
  return {
    name: prev === undefined ? 'imedge' : 'imedge-prev',
    note:
      prev === undefined
        ? 'imedge: src/msrp/relay in its own process; clients bind with an empty SEND to aLocal / bLocal; ' +
          "the 200 at A is the relay's own (hop by hop) once the chunk is handed to B's leg."
        : `imedge-prev: the relay of the build in ${prev.dist}, run as imedge is.`,
    async probe(): Promise<string | undefined> {
      // a start and stop with no traffic: says whether the module is there and fits the contract
      try {
        const { w } = await launch();
        await w.call('close', null, RELAY_TIMEOUT_MS).catch(() => undefined);
        await w.stop();
        return undefined;
      } catch (e) {
        return e instanceof Error ? e.message.replace(/^imedge relay: /, '') : String(e);
      }
    },
    async start(): Promise<RunningRelay> {
      const { w, port } = await launch();
      return {
        pids: () => [w.pid],
        async openSession(uris) {
          const pair = await w.call<{ aLocal: string; bLocal: string }>('createPair', uris, RELAY_TIMEOUT_MS);
          const target = (local: string): ClientTarget => ({
            host: '127.0.0.1',
            port,
            handshake: 'bind',
            handshakeToPath: [local],
            toPath: [local],
          });
          return { a: target(pair.aLocal), b: target(pair.bLocal) };
        },
        async stop() {
          await w.call('close', null, 5000).catch(() => undefined);
          await w.stop();
        },
      };
    },
  };
}
