// One MSRP endpoint per session, with the two facts the session needs that MsrpEndpoint does
// not report as events: "bound to a connection" (a passive endpoint is bound by the peer's
// first SEND, RFC 4975 5.4) and "connection lost".
import { MsrpEndpoint, type ReceivedMessage, type ReceivedReport } from '../msrp/endpoint';
import type { MsrpNet } from '../msrp/net';

export interface MediaEvents {
  onMessage(m: ReceivedMessage): void;
  onReport(r: ReceivedReport): void;
  onLost(): void;
}

export interface MediaSpec {
  readonly localUri: string;
  readonly remotePath: readonly string[];
  readonly setup: 'active' | 'passive';
  /**
   * Shared with the endpoint, which reads it on every request: a re-INVITE changes the
   * negotiated types in place and the running MSRP session applies them (OMA IM 7.1.1.5).
   */
  readonly acceptTypes: string[];
  readonly maxChunkSize?: number;
  readonly maxMessageSize?: number;
}

export class SessionMedia {
  readonly endpoint: MsrpEndpoint;
  private boundWaiters: (() => void)[] = [];
  private closed = false;

  constructor(net: MsrpNet, spec: MediaSpec, events: MediaEvents) {
    this.endpoint = new MsrpEndpoint(
      net,
      {
        localUri: spec.localUri,
        remotePath: spec.remotePath,
        setup: spec.setup,
        acceptTypes: spec.acceptTypes,
        ...(spec.maxChunkSize !== undefined ? { maxChunkSize: spec.maxChunkSize } : {}),
        ...(spec.maxMessageSize !== undefined ? { maxMessageSize: spec.maxMessageSize } : {}),
      },
      { onMessage: (m) => events.onMessage(m), onReport: (r) => events.onReport(r) },
    );
    // MsrpEndpoint keeps its own disconnect handling; chain ours after it.
    const handler = this.endpoint.session.handler;
    const ownDisconnected = handler.onDisconnected;
    handler.onBound = () => {
      const waiters = this.boundWaiters;
      this.boundWaiters = [];
      for (const w of waiters) w();
    };
    handler.onDisconnected = (s, c) => {
      ownDisconnected?.call(handler, s, c);
      if (!this.closed) events.onLost();
    };
  }

  get bound(): boolean {
    const c = this.endpoint.connection;
    return c !== undefined && !c.closed;
  }

  /** Active side: dial and bind (the empty SEND). */
  connect(): Promise<void> {
    return this.endpoint.connect();
  }

  /** Passive side: resolves once the peer's first request bound the session; rejects after timeoutMs. */
  whenBound(timeoutMs: number): Promise<void> {
    if (this.bound) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.boundWaiters = this.boundWaiters.filter((w) => w !== done);
        reject(new Error(`the peer did not open the MSRP connection within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.boundWaiters.push(done);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.endpoint.close();
  }
}
