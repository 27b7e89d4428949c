/** Counters of the MSRP network layer, read by metrics. Plain numbers, mutated in place. */
export interface MsrpNetCounters {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  parseErrors: number;
  /** 4xx/5xx responses this side generated (400, 403, 413, 415, 481, 501, ...). */
  errorResponsesSent: number;
  connectionsAccepted: number;
  connectionsDialled: number;
  /** Accepts closed and dials refused at once because maxConnections was reached (a counted limit event). */
  connectionsRejected: number;
  /** Inbound connections closed at once because their address held maxConnectionsPerSource already. */
  connectionsRejectedPerSource: number;
  /**
   * Inbound connections with no session bound, closed at maxConnections to make room for a new
   * connection (the oldest first; a counted limit event like connectionsRejected).
   */
  connectionsEvicted: number;
  connectionsLive: number;
  /** Leg congestion crossings (high watermark up / low watermark down). */
  pauses: number;
  resumes: number;
  /** Locally generated frames dropped because a connection's control queue was full. */
  controlDropped: number;
  /**
   * Open frames asked to end because they kept frames of other sessions waiting on a shared
   * leg for frameHoldMs (their senders got 413, the frames an end-line with '#').
   */
  framesCut: number;
  /** Connections closed because three of their frames were cut within a minute. */
  closedForHolding: number;
  /** Responses that matched no waiting transaction (late or unknown). */
  unmatchedResponses: number;
  transactionTimeouts: number;
  /** Network handlers (socket, parser, timer, session callbacks) that threw; each closed its connection. */
  handlerErrors: number;
  /** Connections closed because they bound no session within bindTimeoutMs. */
  bindTimeouts: number;
  /** Bindings made before the peer path was known by a sender that path did not name: undone. */
  strangerBindingsUndone: number;
  /** Connections closed because no frame went either way for idleTimeoutMs. */
  idleTimeouts: number;
  /** TLS handshakes completed on the MSRP over TLS listener. */
  tlsAccepted: number;
  /** Connections on the TLS port closed before a handshake completed (plain TCP bytes, bad hello, timeout). */
  tlsHandshakeFailures: number;
  /** Dials to msrps: peers abandoned because the peer's certificate did not verify (tls.verifyPeer). */
  tlsPeerRejected: number;
  /** Requests for an msrps: session that came over a connection in clear (refused 481, never delivered). */
  tlsRequired: number;
}

export function newNetCounters(): MsrpNetCounters {
  return {
    framesIn: 0,
    framesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    parseErrors: 0,
    errorResponsesSent: 0,
    connectionsAccepted: 0,
    connectionsDialled: 0,
    connectionsRejected: 0,
    connectionsRejectedPerSource: 0,
    connectionsEvicted: 0,
    connectionsLive: 0,
    pauses: 0,
    resumes: 0,
    controlDropped: 0,
    framesCut: 0,
    closedForHolding: 0,
    unmatchedResponses: 0,
    transactionTimeouts: 0,
    handlerErrors: 0,
    bindTimeouts: 0,
    strangerBindingsUndone: 0,
    idleTimeouts: 0,
    tlsAccepted: 0,
    tlsHandshakeFailures: 0,
    tlsPeerRejected: 0,
    tlsRequired: 0,
  };
}
