/** MSRP network layer (RFC 4975 sections 5.4, 7; RFC 6135): listener, dialer, sessions, legs. */
export { MsrpNet, type MsrpNetDeps, type MsrpListenAddress, type DialOptions, type MsrpTlsClientOptions, type MsrpTlsServerOptions } from './net';
export { MsrpConnection, type ConnectionContext } from './connection';
export { MsrpSession, type MsrpSessionHandler, type MsrpSessionSpec, type MsrpSetup } from './session';
export { Outbound, type OutboundEvents, type OutboundLimits, type OutboundProducer, type OutboundSink } from './outbound';
export { DEFAULT_MSRP_NET_OPTIONS, resolveNetOptions, type MsrpNetOptions } from './options';
export { newNetCounters, type MsrpNetCounters } from './counters';
export { MsrpConnectError, MsrpPortInUseError, type MsrpConnectFailure } from './errors';
export { firstUri, reasonOf, responseFor } from './respond';
export { TransactionIds } from './ids';
