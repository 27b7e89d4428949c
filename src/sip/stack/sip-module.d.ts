// Hand-written types for the parts of sip@0.0.6 (as patched in patches/) that src/sip/stack uses.
// Strings inside these objects are "binary" (one char per byte); src/sip/stack/convert.ts
// turns them into UTF-8 text and Buffers before anything else sees them.
declare module 'sip' {
  import type { Socket as UdpSocket } from 'node:dgram';
  import type { Server as TcpServer, Socket as TcpSocket } from 'node:net';

  export type RawParams = Record<string, string | null>;
  export interface RawUri {
    schema: string; user?: string; password?: string; host: string; port?: number;
    params: RawParams; headers: Record<string, string>;
  }
  export interface RawNameAddr { name?: string; uri: string | RawUri; params: RawParams }
  export interface RawVia { version?: string; protocol?: string; host?: string; port?: number; params: RawParams }
  export interface RawCSeq { seq: number; method: string }
  export interface RawMessage {
    method?: string; uri?: string | RawUri; version?: string;
    status?: number; reason?: string;
    headers: Record<string, unknown>;
    content?: string;
    /** Patch: the raw start line + header lines, CRLF separated. */
    rawHead?: string;
    /** Patch: byte length of the body as received. */
    bodyLength?: number;
    /** Patch: header names (or "line N") that failed to parse. */
    headerErrors?: string[];
    /** Patch: the start line did not parse; method is a placeholder so a 400 can be sent. */
    startLineError?: boolean;
  }
  export interface RawFlow { protocol: string; address: string; port: number; local?: { address: string; port: number } }
  export interface InvalidInfo {
    reason: string; message?: RawMessage; raw: string; remote: RawFlow;
    send(m: RawMessage): void; fatal: boolean;
    /**
     * Patch: 'too-large' (body beyond maxContentLength), 'head-too-large' (head beyond
     * maxBytesHeaders, either transport: message is the top of the head cut at the last CRLF
     * within the cap), 'framing' (stream Content-Length missing or bad).
     */
    kind?: string;
  }
  export interface CreateOptions {
    address?: string; port?: number; publicAddress?: string; hostname?: string;
    udp?: boolean; tcp?: boolean; tls?: unknown; ws_port?: number;
    udpSocket?: UdpSocket;
    /** Patch: a server already bound (or anything that emits 'connection' and can be closed). */
    tcpServer?: TcpServer | { on(event: 'connection', listener: (socket: TcpSocket) => void): unknown; close(): unknown };
    /** Patch: dials the library's outgoing TCP connections instead of net.connect (a connection cap). */
    tcpConnect?(port: number, host: string, onConnect?: () => void): TcpSocket;
    maxBytesHeaders?: number; maxContentLength?: number;
    maxServerTransactions?: number; overloadRetryAfter?: number;
    /** Patch: completed server transactions kept apart from the live cap, oldest evicted beyond. */
    maxCompletedServerTransactions?: number;
    onCompletedEvicted?(): void;
    rport?: boolean;
    logger?: { error?(e: unknown): void; send?(m: RawMessage, target: unknown): void; recv?(m: RawMessage, remote: unknown): void };
    onInvalid?(info: InvalidInfo): void;
    /** Patch: a throw while one UDP datagram was handled (the datagram is dropped). */
    onTransportError?(err: unknown): void;
    onOverload?(m: RawMessage, remote: RawFlow): void;
    /** Patch: a request framed from a connection closed since; dropped without a transaction. */
    onOrphanRequest?(m: RawMessage, remote: RawFlow): void;
    /**
     * Patch (F4): requests for which answeredLocally() is true may take one of localReserve
     * slots beyond maxServerTransactions; onLocalReserve is told when one does.
     */
    localReserve?: number;
    answeredLocally?(m: RawMessage): boolean;
    onLocalReserve?(m: RawMessage, remote: RawFlow): void;
    /**
     * Patch (F7): every message framed on a TCP/TLS connection, before the transaction layer;
     * true = consumed (the library drops it). send() writes a message on that connection.
     */
    onStreamMessage?(m: RawMessage, remote: RawFlow, send: (m: RawMessage) => void): boolean;
  }
  export interface SipInstance {
    send(m: RawMessage, callback?: (rs: RawMessage) => void, targets?: RawFlow[]): void;
    destroy(): void;
    hostname(): string;
    transactionCounts(): { server: number; client: number; serverLive: number; serverCompleted: number };
    /**
     * Patch: drops the client transaction of a request sent earlier (RFC 3261 9.1: an INVITE
     * with no final response 64*T1 after its CANCEL), without a callback. Optional: a library
     * without the patch lacks it.
     */
    abandonClientTransaction?(rq: RawMessage): boolean;
  }
  export function create(options: CreateOptions, callback: (m: RawMessage, remote: RawFlow) => void): SipInstance;
  export function makeResponse(rq: RawMessage, status: number, reason?: string, extension?: { headers?: Record<string, unknown>; content?: string }): RawMessage;
  export function parseUri(s: string | RawUri): RawUri | undefined;
  export function stringifyUri(u: string | RawUri): string;
  export function parse(s: string | Buffer): RawMessage | undefined;
  export function stringify(m: RawMessage): string;
  /**
   * The stream framer each TCP/TLS connection runs (patched): feed it the connection's data as
   * binary strings. onInvalid gets framing failures (after which the parser is dead); onFlood
   * is where the transport closes the connection.
   */
  export function makeStreamParser(
    onMessage: (m: RawMessage) => void,
    onFlood: ((reason: string) => void) | undefined,
    maxBytesHeaders: number,
    maxContentLength: number,
    onInvalid: (reason: string, m: RawMessage | undefined, head: string, kind: string) => void,
  ): (data: string) => void;
  export function generateBranch(): string;
}
