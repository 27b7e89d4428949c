// Validates XML against a schema with xmllint (Debian libxml2-utils): an outside judge of the
// documents imedge writes.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const CONFERENCE_INFO_XSD = path.resolve(__dirname, '../fixtures/xml/conference-info.xsd');

/** '' when the document validates, else xmllint's complaint. */
export function xmllintErrors(xml: string, xsd = CONFERENCE_INFO_XSD): string {
  const r = spawnSync('xmllint', ['--noout', '--schema', xsd, '-'], { input: xml, encoding: 'utf8' });
  if (r.error) throw r.error;
  return r.status === 0 ? '' : `${r.stderr}`.trim();
}
