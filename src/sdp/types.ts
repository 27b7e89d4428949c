/** Typed view of an SDP body (RFC 4566) with the MSRP media attributes of RFC 4975 section 8. */

export type SdpLineType = 'v' | 'o' | 's' | 'i' | 'u' | 'e' | 'p' | 'c' | 'b' | 't' | 'r' | 'z' | 'k' | 'a' | 'm';

/** One `<type>=<value>` line exactly as received (without its line ending). */
export interface SdpLine {
  readonly type: SdpLineType;
  readonly value: string;
}

/** `a=<name>` (property) or `a=<name>:<value>`, as received. */
export interface SdpAttribute {
  readonly name: string;
  readonly value: string | undefined;
}

/** RFC 4145 section 4 (used for MSRP by RFC 6135). */
export type SetupRole = 'active' | 'passive' | 'actpass' | 'holdconn';

/** RFC 3264 section 5.1. */
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** RFC 4975 section 8.1. */
export type MsrpProto = 'TCP/MSRP' | 'TCP/TLS/MSRP';

export type AddressType = 'IP4' | 'IP6';

/** o=<username> <sess-id> <sess-version> IN <addrtype> <address> (RFC 4566 section 5.2). */
export interface SdpOrigin {
  readonly username: string;
  /** Kept as a string: session ids are often larger than 2^53. */
  readonly sessionId: string;
  readonly sessionVersion: string;
  readonly addressType: AddressType;
  readonly address: string;
}

/** c=IN <addrtype> <address> (RFC 4566 section 5.7); address may carry /ttl for multicast. */
export interface SdpConnection {
  readonly addressType: AddressType;
  readonly address: string;
}

export interface MediaDescription {
  /** Position among the m= sections (RFC 3264 matches answer to offer by position). */
  readonly index: number;
  /** 'message' for MSRP; any other media token as received. */
  readonly type: string;
  /** 0 means the stream is rejected or disabled (RFC 3264 section 6). */
  readonly port: number;
  /** 'TCP/MSRP' | 'TCP/TLS/MSRP' for MSRP; anything else as received. */
  readonly proto: string;
  readonly formats: readonly string[];
  /** The media-level c= if present, else the session-level one. */
  readonly connection: SdpConnection;
  /** a=accept-types entries in order (RFC 4975 section 8.6); [] when absent. */
  readonly acceptTypes: readonly string[];
  /** a=accept-wrapped-types entries in order; [] when absent. */
  readonly acceptWrappedTypes: readonly string[];
  /** a=max-size in octets (RFC 4975 section 8.7), when present. */
  readonly maxSize: number | undefined;
  /** a=path MSRP URIs in order (RFC 4975 section 8.2); the last one is the endpoint's own. */
  readonly path: readonly string[];
  /** a=setup of this media, else of the session; undefined when neither has one (RFC 6135). */
  readonly setup: SetupRole | undefined;
  /** Media-level direction, else session-level, else sendrecv (RFC 3264 section 5.1). */
  readonly direction: Direction;
  /** a=file-selector value as received (RFC 5547), when present. */
  readonly fileSelector: string | undefined;
  /**
   * Every m= section of the same body as an answer rejects it (RFC 3264 6: "<type> 0 <proto>
   * <formats>"), this one included at `index`; empty when this is the body's only one. An
   * answer carries as many m= lines as its offer, in the same order.
   */
  readonly streams: readonly string[];
  /** Every media-level a= line in order, including the ones above. */
  readonly attributes: readonly SdpAttribute[];
  /** The m= line and every line after it up to the next m=, as received, in order. */
  readonly lines: readonly SdpLine[];
}

/** A media description's meaning without its lines: what a session keeps of it (issue 8). */
export type MediaFields = Omit<MediaDescription, 'attributes' | 'lines'>;

export interface SessionDescription {
  readonly origin: SdpOrigin;
  /** s= value as received. */
  readonly sessionName: string;
  /** Session-level c=, when present. */
  readonly connection: SdpConnection | undefined;
  /** Session-level a= lines in order. */
  readonly attributes: readonly SdpAttribute[];
  readonly media: readonly MediaDescription[];
  /** Session-level lines (v= up to the first m=), as received, in order. */
  readonly lines: readonly SdpLine[];
}
