/** XML document codecs (OMA group documents, RFC 4826 URI lists): pure, no I/O, never log. */
export { XmlError, type XmlErrorCode } from './errors';
export { parseXml, serializeXml, elementOut, qualifiedAttr, DEFAULT_XML_LIMITS, XML_NS, type XmlElement, type XmlLimits, type XmlOut } from './tree';
export {
  parseGroupDocument,
  serializeGroupDocument,
  groupDocumentOut,
  GROUP_NS,
  COMMON_POLICY_NS,
  RESOURCE_LISTS_NS,
  MAX_PARTICIPANT_COUNT_LIMIT,
  MAX_SESSION_LENGTH_S,
  type GroupDocument,
  type GroupEntry,
  type PolicyRule,
  type RuleCondition,
  type RuleActions,
  type JoinHandling,
  type IdentityExcept,
  type ManyIdentities,
  type ReleaseOverrides,
  type ParseGroupOptions,
} from './group-document';
export {
  parseResourceLists,
  serializeResourceLists,
  COPY_CONTROL_NS,
  RESOURCE_LISTS_CONTENT_TYPE,
  type CopyControl,
  type ResourceListEntry,
} from './resource-lists';
export { checkAddress } from './values';
export {
  serializeConferenceInfo,
  parseConferenceInfo,
  CONFERENCE_INFO_NS,
  CONFERENCE_INFO_CONTENT_TYPE,
  type ConferenceInfo,
  type InfoUser,
  type InfoEndpoint,
  type InfoState,
  type EndpointStatus,
  type JoiningMethod,
  type DisconnectionMethod,
} from './conference-info';
