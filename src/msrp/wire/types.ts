/** Types shared by the MSRP wire codec (RFC 4975). */

/** Continuation flag of an end-line (RFC 4975 section 7.1): complete, more chunks, aborted. */
export type MsrpFlag = '$' | '+' | '#';

/** One header line as received: name as spelled on the wire, value without leading/trailing blanks. */
export interface MsrpHeader {
  readonly name: string;
  readonly value: string;
}

/** The start line of a request: "MSRP" SP transact-id SP method. */
export interface MsrpRequestLine {
  readonly kind: 'request';
  readonly transactionId: string;
  /** Any 1*UPALPHA; unknown methods parse fine so the upper layer can answer 501. */
  readonly method: string;
}

/** The start line of a response: "MSRP" SP transact-id SP status-code [SP comment]. */
export interface MsrpResponseLine {
  readonly kind: 'response';
  readonly transactionId: string;
  readonly status: number;
  readonly comment: string | undefined;
}

export type MsrpStartLine = MsrpRequestLine | MsrpResponseLine;

interface HeadFields {
  /** Header lines in wire order. */
  readonly headers: readonly MsrpHeader[];
  /**
   * True when the header block ended with an empty line (a body follows, possibly empty);
   * false when the end-line followed the headers directly (RFC 4975 section 9, no content-stuff).
   */
  readonly hasBody: boolean;
  /**
   * Exact bytes of the start line and header lines, each with its CRLF; without the empty
   * line before a body and without the end-line. Relays splice this (see splice.ts).
   */
  readonly raw: Buffer;
  /**
   * Header lines that break the section 9 grammar (no colon, bad name, control bytes).
   * They do not break framing; checkHead() turns them into a 400.
   */
  readonly syntaxErrors: readonly string[];
}

export type MsrpRequestHead = MsrpRequestLine & HeadFields;
export type MsrpResponseHead = MsrpResponseLine & HeadFields;
export type MsrpFrameHead = MsrpRequestHead | MsrpResponseHead;

/** A whole frame (one chunk of a message, or a response), body gathered into one Buffer. */
export interface MsrpFrame {
  readonly head: MsrpFrameHead;
  readonly body: Buffer;
  readonly flag: MsrpFlag;
}

/**
 * What went wrong while framing:
 * - bad-start-line: bytes where a start line belongs are not "MSRP <tid> <method|code>".
 * - headers-too-large: the start line + headers exceed maxHeaderBytes.
 * - missing-end-line: a start line showed up among the headers (the previous frame was never ended).
 * - bad-end-line: a header-block end-line with another transaction id, a bad flag or trailing bytes.
 * - body-too-large: a body exceeded maxBodyBytes.
 * - truncated: the stream ended in the middle of a frame.
 */
export type MsrpWireErrorKind =
  | 'bad-start-line'
  | 'headers-too-large'
  | 'missing-end-line'
  | 'bad-end-line'
  | 'body-too-large'
  | 'truncated';

/**
 * After 'resync' the parser skips to the next line that starts with "MSRP " and carries on;
 * after 'close' it ignores all further input and the connection should be closed.
 */
export type MsrpRecovery = 'resync' | 'close';

export interface MsrpWireError {
  readonly kind: MsrpWireErrorKind;
  readonly message: string;
  readonly recovery: MsrpRecovery;
  /** The start line, when it was read before the error. */
  readonly start: MsrpStartLine | undefined;
  /** Header lines read before the error (To-Path/From-Path are needed to address a 400). */
  readonly headers: readonly MsrpHeader[];
  /** 400 when the failed frame was a request whose transaction id is known: answer it. */
  readonly answerStatus: 400 | undefined;
}
