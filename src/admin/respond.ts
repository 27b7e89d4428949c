// Answers and request bodies shared by every admin route: JSON out, bounded bodies in.
import type * as http from 'node:http';

/**
 * Attack finding F2: every admin answer that is not the page itself is data, never a document
 * to run. A stored group document opened in the browser must not execute script in the admin
 * origin, whatever it holds: no resources, a sandbox (own opaque origin, no script), no type
 * sniffing, no framing. The dispatcher sets these on every response before its route runs
 * (the page's files replace them with the page's own policy), so no route can forget them.
 */
export const DATA_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; sandbox",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

/** Sets DATA_HEADERS on a response (headers passed to writeHead later still win). */
export function dataHeaders(res: http.ServerResponse): void {
  for (const [k, v] of Object.entries(DATA_HEADERS)) res.setHeader(k, v);
}

export function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...DATA_HEADERS, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/** The client went away (reset, or closed) before its request body was complete: not a server fault. */
export class ClientAbortError extends Error {
  constructor() {
    super('the client closed the connection before the request body was complete');
  }
}

/** Reads a request body up to max bytes; undefined (and the connection closed after a 413) beyond. */
export function readBody(req: http.IncomingMessage, res: http.ServerResponse, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) {
      res.setHeader('connection', 'close');
      json(res, 413, { error: `request body larger than ${max} bytes` });
      return resolve(undefined);
    }
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.destroy();
        return resolve(undefined);
      }
      parts.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    // an abort surfaces as 'error' (ECONNRESET "aborted") or only as 'close' without 'end'
    req.on('error', () => reject(new ClientAbortError()));
    req.on('close', () => {
      if (!req.complete) reject(new ClientAbortError());
    });
  });
}

/** A JSON object body (Content-Type application/json), or undefined after a 4xx already sent. */
export async function readJsonObject(req: http.IncomingMessage, res: http.ServerResponse, max = 64 * 1024): Promise<Record<string, unknown> | undefined> {
  const [typePart, ...params] = (req.headers['content-type'] ?? '').split(';');
  const type = typePart!.trim().toLowerCase();
  if (type !== 'application/json') {
    res.setHeader('connection', 'close');
    json(res, 415, { error: `Content-Type must be application/json, not "${type.slice(0, 64)}"` });
    return undefined;
  }
  // RFC 8259 8.1: JSON is UTF-8; a body declared in another charset would be misread, so it is refused
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const charset = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') {
      res.setHeader('connection', 'close');
      json(res, 415, { error: `the JSON body must be UTF-8, not charset "${charset.slice(0, 32)}"` });
      return undefined;
    }
  }
  const body = await readBody(req, res, max);
  if (body === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(body.toString('utf8'));
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* answered below */
  }
  json(res, 400, { error: 'the body is not a JSON object' });
  return undefined;
}

/** The path segment after `prefix` (e.g. "/users/"), percent-decoded; undefined when malformed. */
export function segment(req: http.IncomingMessage, index: number): string | undefined {
  const parts = (req.url ?? '').split('?')[0]!.split('/');
  const raw = parts[index];
  if (raw === undefined || raw === '') return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}
