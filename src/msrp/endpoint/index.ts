/** MSRP endpoint behaviour for a local session (RFC 4975 sections 7.1-7.3). */
export {
  MsrpEndpoint,
  type MsrpEndpointEvents,
  type MsrpEndpointOptions,
  type ReceivedMessage,
  type ReceivedReport,
  type SendOptions,
  type SendResult,
} from './endpoint';
export { acceptsType } from './accept';
