import { encodeResponse, type MsrpRequestHead } from '../wire';

const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  403: 'Forbidden',
  408: 'Request Timeout',
  413: 'Message Too Large',
  415: 'Unsupported Media Type',
  423: 'Interval Out-of-Bounds',
  481: 'No Such Session',
  501: 'Not Implemented',
  506: 'Session Bound Elsewhere',
};

/** The usual comment for an MSRP status code (RFC 4975 section 10). */
export function reasonOf(status: number): string {
  return REASONS[status] ?? 'Error';
}

/** First URI of a path header value (values passed checkHead, so they are valid URIs). */
export function firstUri(pathValue: string): string {
  const sp = pathValue.search(/[ \t]/);
  return sp < 0 ? pathValue : pathValue.slice(0, sp);
}

/**
 * Transaction response to a request (RFC 4975 section 7.2): To-Path is the previous hop (first
 * URI of the request's From-Path), From-Path this hop (first URI of its To-Path).
 * `toPathValue`/`fromPathValue` are the request's header values as received.
 */
export function responseFor(
  request: Pick<MsrpRequestHead, 'transactionId'>,
  toPathValue: string,
  fromPathValue: string,
  status: number,
  comment: string = reasonOf(status),
): Buffer {
  return encodeResponse({
    transactionId: request.transactionId,
    status,
    comment,
    toPath: [firstUri(fromPathValue)],
    fromPath: [firstUri(toPathValue)],
  });
}
