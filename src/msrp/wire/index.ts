/** MSRP wire codec (RFC 4975): pure, Buffer-based, no I/O. */
export * from './types';
export { CRLF, DEFAULT_MSRP_PORT, isIdent, isMethod, isUtf8Text, quoteWireText } from './grammar';
export { parseStartLine, formatStartLine } from './start-line';
export { parseHeaderLine, getHeader } from './header-line';
export {
  MsrpParser,
  DEFAULT_MSRP_PARSER_LIMITS,
  type MsrpParserHandler,
  type MsrpParserLimits,
  type MsrpParserPhase,
} from './parser';
export { frameCollector, parseFrames, type MsrpFrameSink } from './frames';
export * from './headers';
export * from './uri';
export * from './check';
export * from './serializer';
export * from './splice';
export * from './cpim';
