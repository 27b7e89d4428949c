/**
 * Hand-made malformed messages (test/fixtures/sip/malformed). The expected
 * status of each file is read from the README table there, so the index the
 * over-the-wire tests rely on cannot drift from what the validator does.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { validateSipMessage } from '../../../../src/sip/message/validate';
import { readMessage, splitMessage } from './split';

const DIR = join(__dirname, '../../../fixtures/sip/malformed');
/** The default sip.maxBytesHeaders: the table's statuses are what the server answers with it. */
const DEFAULT_MAX_BYTES_HEADERS = 16 * 1024;

interface Row {
  readonly file: string;
  readonly status: number;
  readonly answered: string;
  readonly what: string;
}

function readIndex(): Row[] {
  const rows: Row[] = [];
  for (const line of readFileSync(join(DIR, 'README.md'), 'utf8').split('\n')) {
    const m = /^\| `([^`]+\.sip)` \| (\d{3}) \| ([^|]+) \| ([^|]+) \|$/.exec(line);
    if (m) rows.push({ file: m[1], status: Number(m[2]), answered: m[3].trim(), what: m[4].trim() });
  }
  return rows;
}

const rows = readIndex();
const HEADERS = ['Via', 'From', 'To', 'Call-ID', 'CSeq'];

describe('malformed SIP fixtures', () => {
  it('the README lists every fixture file exactly once, at least 30 of them', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.sip')).sort();
    expect(rows.map((r) => r.file).sort()).toEqual(files);
    expect(files.length).toBeGreaterThanOrEqual(30);
  });

  for (const row of rows) {
    it(`${row.file}: ${row.what} -> ${row.status}`, () => {
      const { head, bodyLength } = readMessage(join(DIR, row.file));
      const result = validateSipMessage(head, bodyLength, { transport: 'UDP', maxHeadLength: DEFAULT_MAX_BYTES_HEADERS });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.status).toBe(row.status);
      expect(result.isResponse).toBe(row.answered.startsWith('no (response'));
    });
  }

  it('every file is a complete CRLF message with Via, From, To, Call-ID and CSeq unless one is missing on purpose', () => {
    for (const row of rows) {
      const bytes = readFileSync(join(DIR, row.file));
      const text = bytes.toString('latin1');
      // CRLF line ends only: no bare LF, no bare CR.
      expect(/(^|[^\r])\n/.test(text.slice(0, text.indexOf('\r\n\r\n') + 4))).toBe(false);
      const { head } = splitMessage(bytes);
      const lines = head.split('\r\n');
      for (const name of HEADERS) {
        if (row.file === `missing-${name.toLowerCase()}.sip`) continue;
        const present = lines.some((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
        expect({ file: row.file, name, present }).toEqual({ file: row.file, name, present: true });
      }
    }
  });
});
