/**
 * What a bench subscriber reads of a conference-info NOTIFY body (RFC 4575): the users whose
 * endpoint is connected. A scan, not a parse: the bench client reads thousands of ~20 KB
 * bodies while it times them, and only needs who is in; the bodies themselves are checked
 * against the schema by the event package's tests.
 */

const USER = /<user\b[^>]*?\bentity="([^"]*)"[^>]*>([\s\S]*?)<\/user>/g;
const CONNECTED = /<status>\s*connected\s*<\/status>/;

/** Entities of the users with a connected endpoint (RFC 4575 5.7 / 5.7.2 status), in document order. */
export function connectedUsers(body: string): string[] {
  const out: string[] = [];
  for (const m of body.matchAll(USER)) if (CONNECTED.test(m[2])) out.push(m[1]);
  return out;
}

/** The version attribute of <conference-info> (RFC 4575 5.1), NaN when absent. */
export function infoVersion(body: string): number {
  const m = /<conference-info\b[^>]*?\bversion="(\d+)"/.exec(body);
  return m ? Number(m[1]) : Number.NaN;
}
