/**
 * Holds many idle MSRP sessions open against a relay, for the footprint table: per session,
 * B connects (and does its handshake), then A. Runs as a forked child of the bench.
 */
import { serveRpc } from '../rpc';
import type { ClientTarget } from '../relays/types';
import { connectTcp, MsrpEndpoint } from './endpoint';

export interface IdleSession {
  readonly a: ClientTarget;
  readonly b: ClientTarget;
  readonly aUri: string;
  readonly bUri: string;
}

export interface OpenArg {
  readonly sessions: readonly IdleSession[];
  readonly timeoutMs: number;
}

class IdleClient {
  private readonly endpoints: MsrpEndpoint[] = [];

  constructor(private readonly maxConnections: number) {}

  private async one(t: ClientTarget, ownUri: string, timeoutMs: number): Promise<void> {
    if (this.endpoints.length >= this.maxConnections) throw new Error(`more than ${this.maxConnections} connections`);
    const ep = new MsrpEndpoint(await connectTcp(t.host, t.port, timeoutMs));
    this.endpoints.push(ep);
    // idle sessions still answer what reaches them, as a real endpoint would
    ep.onRequest = (f) => {
      if (f.head.kind === 'request' && f.head.method === 'SEND') ep.answer(f);
    };
    await ep.handshake(t.handshake, ownUri, t.handshakeToPath, timeoutMs);
  }

  /** Opens the sessions one after the other (the pipe pairs connections in arrival order). */
  async open(arg: OpenArg): Promise<number> {
    for (const s of arg.sessions) {
      await this.one(s.b, s.bUri, arg.timeoutMs);
      await this.one(s.a, s.aUri, arg.timeoutMs);
    }
    const closed = this.endpoints.filter((e) => e.isClosed).length;
    if (closed > 0) throw new Error(`${closed} connections were closed by the relay`);
    return this.endpoints.length;
  }

  /** Connections still open (the relay may drop idle ones). */
  openCount(): number {
    return this.endpoints.filter((e) => !e.isClosed).length;
  }

  close(): void {
    for (const e of this.endpoints) e.close();
    this.endpoints.length = 0;
  }
}

function main(): void {
  const c = new IdleClient(20_000);
  serveRpc({
    open: (a: OpenArg) => c.open(a),
    stillOpen: () => c.openCount(),
    close: () => c.close(),
  });
}

main();
