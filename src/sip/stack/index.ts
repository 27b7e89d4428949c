export { SipStack, IncomingRequest, reasonFor, newTag, methodLabel } from './stack';
export type { SipStackOptions, SipStats, TransactionCounts, ReplyExtra, SendOptions, RequestHandler } from './stack';
export { PortInUseError } from './listeners';
export type { TcpConnectionStats } from './tcp-gate';
export { parseSipUri, formatSipUri, aorOf, newBranch } from './uri';
export { awaitAck, DEFAULT_SIP_TIMERS, type AckWait, type SipTimers } from './ack-wait';
export { tlsHopOf } from './stack';
export type { SipTlsOptions, SipTlsStats } from './tls-transport';
export { parseSipDatagram, sipStreamParser, formatSipMessage, DEFAULT_SIP_PARSE_LIMITS, type SipParseOutcome, type SipParseLimits, type SipStreamSink } from './parse';
