import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XmlError } from '../../../src/xml';

export const FIXTURES = join(__dirname, '../../fixtures/xml');

export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

/** The XmlError fn throws; fails the test when it throws nothing or something else. */
export function xmlErrorOf(fn: () => unknown): XmlError {
  try {
    fn();
  } catch (err) {
    if (err instanceof XmlError) return err;
    throw new Error(`expected an XmlError, got ${String(err)}`);
  }
  throw new Error('expected an XmlError, nothing was thrown');
}

/** A group document around a list-service body (default namespace group, cr for common policy). */
export function group(body: string, uri = 'sip:team@example.com'): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<group xmlns="urn:oma:xml:xdm:group" xmlns:cr="urn:ietf:params:xml:ns:common-policy">
  <list-service uri="${uri}">${body}</list-service>
</group>`;
}
