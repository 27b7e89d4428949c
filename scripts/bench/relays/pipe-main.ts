/**
 * The baseline "relay": a bare TCP pipe between two connections, paired in arrival order
 * (1st with 2nd, 3rd with 4th, ...). No parsing at all: the limit for any relay on this machine.
 */
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { serveRpc } from '../rpc';

interface PipeOptions {
  readonly host: string;
  /** Live connections at most; more are refused. */
  readonly maxConnections: number;
}

class PipeRelay {
  private waiting: Socket | undefined;
  private readonly server = createServer((s) => this.accept(s));

  constructor(private readonly opts: PipeOptions) {
    this.server.maxConnections = opts.maxConnections;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, this.opts.host, () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  private accept(s: Socket): void {
    s.setNoDelay(true);
    s.on('error', () => s.destroy());
    const peer = this.waiting;
    if (peer === undefined || peer.destroyed) {
      this.waiting = s;
      return;
    }
    this.waiting = undefined;
    // pipe() keeps TCP back-pressure: a slow reader stops the other side's reads
    s.pipe(peer);
    peer.pipe(s);
    s.on('close', () => peer.destroy());
    peer.on('close', () => s.destroy());
  }
}

function main(): void {
  const relay = new PipeRelay({ host: '127.0.0.1', maxConnections: 10_000 });
  serveRpc({ listen: () => relay.listen() });
}

main();
