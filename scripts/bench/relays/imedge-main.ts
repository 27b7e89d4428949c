/**
 * imedge's MSRP relay (src/msrp/relay) in its own process, so that its CPU time and memory are
 * measured apart from the clients and the bench.
 *
 * Contract used (src/msrp/relay, checked at run time so that a change of API is reported
 * instead of crashing the bench; everything that depends on it is in this file):
 *   new MsrpRelay(options)                     options sized for the bench (pairs, connections)
 *   listen('127.0.0.1', 0) -> { port }         (or start(); else address / .port)
 *   createPair({ a: { remotePath: string[] }, b: { remotePath: string[] } }) -> { id, aLocal, bLocal }
 *     aLocal / bLocal: the To-Path of A / B (MsrpUri objects are formatted too)
 *   close() or stop() to end.
 * Any mismatch is reported as the reason the relay is "not available".
 */
import { join } from 'node:path';
import { formatMsrpUri, parsePath, type MsrpUri } from '../../../src/msrp/wire';
import { serveRpc } from '../rpc';

type Fn = (...args: unknown[]) => unknown;
type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null;
}

function method(o: Obj, name: string): Fn | undefined {
  const f = o[name];
  return typeof f === 'function' ? (f as Fn).bind(o) : undefined;
}

function portOf(v: unknown): number | undefined {
  if (typeof v === 'number' && v > 0) return v;
  if (isObj(v) && typeof v.port === 'number' && v.port > 0) return v.port;
  return undefined;
}

function uriText(v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length > 0) return uriText(v[0], what);
  if (isObj(v) && typeof v.scheme === 'string') return formatMsrpUri(v as unknown as MsrpUri);
  throw new Error(`createPair() returned no usable ${what}`);
}

class ImedgeHost {
  private relay: Obj | undefined;

  /** Limits big enough for the idle-footprint table (2 connections per session). */
  constructor(private readonly options: Record<string, number>) {}

  async start(): Promise<number> {
    const modulePath = join(__dirname, '../../../src/msrp/relay');
    let mod: Obj;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require(modulePath) as Obj;
    } catch (e) {
      throw new Error(`cannot load src/msrp/relay (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
    }
    const Ctor = mod.MsrpRelay;
    if (typeof Ctor !== 'function') throw new Error('src/msrp/relay exports no MsrpRelay class');
    const relay = new (Ctor as new (o: unknown) => Obj)(this.options);
    this.relay = relay;
    const listen = method(relay, 'listen') ?? method(relay, 'start');
    const listened = listen === undefined ? undefined : await listen('127.0.0.1', 0);
    const address = typeof relay.address === 'function' ? method(relay, 'address')?.() : relay.address;
    const port = portOf(listened) ?? portOf(address) ?? portOf(relay.port);
    if (port === undefined) throw new Error('MsrpRelay: no listen()/start() returning a port, nor address() or .port');
    return port;
  }

  async createPair(arg: { aUri: string; bUri: string }): Promise<{ aLocal: string; bLocal: string }> {
    const relay = this.relay;
    if (relay === undefined) throw new Error('createPair before start');
    const create = method(relay, 'createPair');
    if (create === undefined) throw new Error('MsrpRelay has no createPair()');
    if (parsePath(arg.aUri) === undefined || parsePath(arg.bUri) === undefined) throw new Error('bad client URI');
    const a = [arg.aUri];
    const b = [arg.bUri];
    const pair = await create({ a: { remotePath: a }, b: { remotePath: b } });
    if (!isObj(pair)) throw new Error('createPair() returned no object');
    return { aLocal: uriText(pair.aLocal, 'aLocal'), bLocal: uriText(pair.bLocal, 'bLocal') };
  }

  async close(): Promise<void> {
    const relay = this.relay;
    if (relay === undefined) return;
    const close = method(relay, 'close') ?? method(relay, 'stop');
    await close?.();
  }
}

function main(): void {
  const host = new ImedgeHost({ maxPairs: 4096, maxConnections: 10_000 });
  serveRpc({
    start: () => host.start(),
    createPair: (a: { aUri: string; bUri: string }) => host.createPair(a),
    close: () => host.close(),
  });
}

main();
