// The typed SIP message model used everywhere above src/sip/stack. Strings are UTF-8 text,
// bodies are Buffers (byte-exact in every language).

export type Params = Record<string, string | null>;

export interface SipUri {
  scheme: 'sip' | 'sips';
  user?: string;
  password?: string;
  host: string;
  port?: number;
  params: Params;
  headers: Record<string, string>;
}

export interface NameAddr {
  name?: string;
  uri: string;
  params: Params;
}

export interface Via {
  version?: string;
  protocol?: string;
  host?: string;
  port?: number;
  params: Params;
}

export interface CSeq {
  seq: number;
  method: string;
}

/** A parsed Authorization / WWW-Authenticate value; parameter values keep their quotes. */
export interface AuthValue {
  scheme: string;
  [param: string]: string;
}

export interface SipHeaders {
  via?: Via[];
  to?: NameAddr;
  from?: NameAddr;
  'call-id'?: string;
  cseq?: CSeq;
  contact?: NameAddr[] | '*';
  route?: NameAddr[];
  'record-route'?: NameAddr[];
  path?: NameAddr[];
  authorization?: AuthValue[];
  'proxy-authorization'?: AuthValue[];
  'www-authenticate'?: AuthValue[];
  'proxy-authenticate'?: AuthValue[];
  'content-length'?: number;
  /** Any other header, lower-case name; repeated headers are joined with ",". */
  [name: string]: unknown;
}

export interface SipRequest {
  method: string;
  uri: string;
  version?: string;
  headers: SipHeaders;
  body: Buffer;
}

export interface SipResponse {
  status: number;
  reason: string;
  version?: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

export function isRequest(m: SipMessage): m is SipRequest {
  return (m as SipRequest).method !== undefined;
}

/** A generic (string-valued) header, or undefined. */
export function headerText(m: { headers: SipHeaders }, name: string): string | undefined {
  const v = m.headers[name.toLowerCase()];
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : String(v);
}

export interface Flow {
  protocol: 'UDP' | 'TCP';
  address: string;
  port: number;
  local?: { address: string; port: number };
  /** A TCP flow carried over TLS (SIP/2.0/TLS, sips:): received on the TLS port, or to be dialled with TLS. */
  secure?: boolean;
}
