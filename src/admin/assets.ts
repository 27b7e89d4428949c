// The admin page's static files (the repository's ui/ folder: plain ES modules and CSS, no
// build step). Read once at start into memory, served with an ETag and a strict
// Content-Security-Policy: no inline script or style, nothing from another origin. Each file's
// gzip is made at its first gzip answer and kept: a server whose page nobody opens never loads
// zlib nor runs deflate (issue 14 item 4).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type * as http from 'node:http';
import * as path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};
const MAX_FILES = 64;
const MAX_FILE_BYTES = 512 * 1024;

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers every page answer carries. */
export const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

export interface Asset {
  readonly type: string;
  readonly body: Buffer;
  /** Made by sendAsset at the first answer that may be gzipped. */
  gzip?: Buffer;
  readonly etag: string;
}

const gzipOf = (a: Asset): Buffer => (a.gzip ??= (require('node:zlib') as typeof import('node:zlib')).gzipSync(a.body, { level: 9 }));

/**
 * The repository's ui/ folder. This file runs from src/admin (ts-jest) or dist/src/admin
 * (compiled), so walk up to the directory holding package.json and ui/.
 */
export function defaultUiDir(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const candidate = path.join(dir, 'ui');
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(candidate, 'index.html'))) return candidate;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(from, '../../ui');
    dir = up;
  }
}

/** Every servable file of dir by name ("app.js"); files of other types are left out. */
export function loadAssets(dir: string): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const name of readdirSync(dir).sort()) {
    const type = TYPES[path.extname(name)];
    const file = path.join(dir, name);
    if (type === undefined || !statSync(file).isFile()) continue;
    if (out.size >= MAX_FILES) throw new Error(`${dir}: more than ${MAX_FILES} page files`);
    const body = readFileSync(file);
    if (body.length > MAX_FILE_BYTES) throw new Error(`${file}: larger than ${MAX_FILE_BYTES} bytes`);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    out.set(name, { type, body, etag });
  }
  return out;
}

/**
 * One file: 304 when the browser holds this version; gzip when accepted. `no-cache` makes the
 * browser ask each time (one small 304) so a new imedge is seen at once.
 */
export function sendAsset(req: http.IncomingMessage, res: http.ServerResponse, a: Asset): void {
  const headers: Record<string, string | number> = { ...PAGE_HEADERS, 'content-type': a.type, etag: a.etag, 'cache-control': 'no-cache', vary: 'Accept-Encoding' };
  if (req.headers['if-none-match'] === a.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) ? gzipOf(a) : undefined;
  const gz = gzip !== undefined && gzip.length < a.body.length;
  const body = gz ? gzip : a.body;
  res.writeHead(200, { ...headers, 'content-length': body.length, ...(gz ? { 'content-encoding': 'gzip' } : {}) });
  res.end(req.method === 'HEAD' ? undefined : body);
}
