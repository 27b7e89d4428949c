/** MSRP session descriptions (RFC 4566, RFC 3264, RFC 4975 section 8, RFC 6135): pure, no I/O. */
export * from './types';
export { SdpError, sdpUnacceptable, type SdpErrorCode } from './errors';
export { parseSdp, DEFAULT_PARSE_SDP_OPTIONS, type ParseSdpOptions } from './parse';
export { writeSdp, buildMsrpSdp, type BuildMsrpSdpOptions, type MsrpMediaOptions } from './write';
export { negotiateAcceptTypes } from './negotiate';
export { isMsrpUri, isMediaTypeEntry } from './msrp-attributes';
export {
  answerFor,
  findMsrpMedia,
  isLargeMessageMode,
  isMsrpProto,
  msrpMediaProblem,
  type AnswerPolicy,
  type LocalMsrpEndpoint,
  type MsrpAnswer,
} from './answer';
export { answererRole, offererConnects, type AnswerRole, type Connector } from './connection-role';
