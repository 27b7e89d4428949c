export { SipStack, IncomingRequest, reasonFor, newTag, methodLabel } from './stack';
export type { SipStackOptions, SipStats, TransactionCounts, ReplyExtra, SendOptions, RequestHandler } from './stack';
export { PortInUseError } from './listeners';
export { parseSipUri, formatSipUri, aorOf, newBranch } from './uri';
