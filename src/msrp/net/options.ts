/** Limits of the MSRP network layer; every buffer, map and timer is bounded by one of these. */
export interface MsrpNetOptions {
  /**
   * Live TCP connections (accepted + dialled). At the cap a new one (accepted or dialled) takes
   * the slot of the oldest inbound connection that carries no session; with none, it is refused.
   */
  readonly maxConnections: number;
  /**
   * Inbound connections (TLS handshakes included) one remote address may hold; beyond it a new
   * one is closed at once (connectionsRejectedPerSource): one host cannot take every slot or
   * evict everyone else's idle connections. Default: maxConnections (no separate cap).
   */
  readonly maxConnectionsPerSource?: number;
  /** Sessions one connection may carry (RFC 4975 section 5.4 lets a connection carry several). */
  readonly maxSessionsPerConnection: number;
  /** Cap on a frame's start line + headers (parser limit, checked before buffering). */
  readonly maxHeaderBytes: number;
  /**
   * A connection with no frame either way for this long is closed. Only frames count: bytes
   * between frames (a CRLF "keep-alive") do not keep a connection open. Checked once per
   * period (no timer work per frame), so an idle connection goes after one to two periods.
   */
  readonly idleTimeoutMs: number;
  /**
   * A connection that has bound no session this long after it opened is closed (RFC 4975 5.4:
   * the active side binds with its first request, at once), so idle sockets cannot hold the
   * connection slots that real sessions need.
   */
  readonly bindTimeoutMs: number;
  /** How long a sent request waits for its transaction response (RFC 4975 section 7.1.1: 30 s). */
  readonly transactionTimeoutMs: number;
  /** Largest chunk body this side sends; endpoints split messages to this size. */
  readonly maxChunkSize: number;
  /** Largest message an endpoint reassembles (413 beyond). The relay streams, so it needs no cap. */
  readonly maxMessageSize: number;
  /** Transactions one connection may wait answers for at once. */
  readonly maxPendingTransactions: number;
  /** Outbound byte ring per connection: the only user-space write buffer of a leg. */
  readonly ringBytes: number;
  /** Above ringBytes * highWatermarkRatio the sources feeding the leg are paused. */
  readonly highWatermarkRatio: number;
  /** Below ringBytes * lowWatermarkRatio they resume. */
  readonly lowWatermarkRatio: number;
  /** Locally generated frames (responses, REPORTs) waiting for a frame boundary, per connection. */
  readonly maxControlFrames: number;
  /**
   * Longest one frame may stay open on a leg while frames of other sessions wait behind it
   * there (RFC 4975 5.4: a connection carries one frame at a time) and the leg itself is not
   * congested: then its sender is told 413 and the frame is ended with '#' (RFC 4975 7.1), so a
   * sender that trickles a chunk cannot hold the others' messages back. At most half of
   * transactionTimeoutMs (taken down to it).
   */
  readonly frameHoldMs: number;
}

export const DEFAULT_MSRP_NET_OPTIONS: MsrpNetOptions = Object.freeze({
  maxConnections: 1024,
  maxSessionsPerConnection: 16,
  maxHeaderBytes: 16 * 1024,
  idleTimeoutMs: 5 * 60_000,
  bindTimeoutMs: 15_000,
  transactionTimeoutMs: 30_000,
  maxChunkSize: 64 * 1024,
  maxMessageSize: 16 * 1024 * 1024,
  maxPendingTransactions: 4096,
  ringBytes: 256 * 1024,
  highWatermarkRatio: 0.75,
  lowWatermarkRatio: 0.25,
  maxControlFrames: 1024,
  frameHoldMs: 5000,
});

/** Merges and checks options; throws RangeError naming the bad key. */
export function resolveNetOptions(partial: Partial<MsrpNetOptions> = {}): MsrpNetOptions {
  const o: MsrpNetOptions = { ...DEFAULT_MSRP_NET_OPTIONS, ...dropUndefined(partial) };
  for (const key of Object.keys(DEFAULT_MSRP_NET_OPTIONS) as (keyof MsrpNetOptions)[]) {
    const v = o[key];
    if (typeof v !== 'number' || !(v > 0)) throw new RangeError(`MSRP option ${key} must be a positive number, got ${String(v)}`);
  }
  if (o.maxConnectionsPerSource !== undefined && !(Number.isInteger(o.maxConnectionsPerSource) && o.maxConnectionsPerSource > 0)) {
    throw new RangeError(`MSRP option maxConnectionsPerSource must be a positive integer, got ${String(o.maxConnectionsPerSource)}`);
  }
  if (!(o.lowWatermarkRatio < o.highWatermarkRatio && o.highWatermarkRatio <= 1)) {
    throw new RangeError('MSRP options need 0 < lowWatermarkRatio < highWatermarkRatio <= 1');
  }
  // a locally generated frame (REPORT, response) must always fit in an empty ring
  if (o.ringBytes < 4096) throw new RangeError('MSRP option ringBytes must be at least 4096');
  // held frames must go out well before their senders' transactions time out
  const hold = Math.max(1, Math.min(o.frameHoldMs, Math.floor(o.transactionTimeoutMs / 2)));
  return hold === o.frameHoldMs ? o : { ...o, frameHoldMs: hold };
}

function dropUndefined<T extends object>(p: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(p)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
