/**
 * RFC 4475 torture messages (as shipped in node_modules/sip/test/messages,
 * copied byte for byte to test/fixtures/sip/rfc4475) through the strict
 * validator. Syntax verdicts follow RFC 4475 3.1; for 3.2-3.4 the validator
 * only rejects what is a syntax or framing fault (400) or an unknown
 * Request-URI scheme (416); the other outcomes the RFC names (415, 420, 401,
 * 406, 483, ...) belong to later stages, so those messages must pass here.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { validateSipMessage } from '../../../../src/sip/message/validate';
import { readMessage } from './split';

const FIXTURES = join(__dirname, '../../../fixtures/sip/rfc4475');
const EXTRAS = join(__dirname, '../../../fixtures/sip/sip-package-extras');
const PACKAGE_COPY = join(__dirname, '../../../../node_modules/sip/test/messages');

type Verdict =
  | { readonly ok: true }
  | { readonly status: 400 | 505 | 416; readonly reason: RegExp; readonly isResponse?: boolean };

interface Case {
  readonly section: string;
  readonly name: string;
  readonly verdict: Verdict;
}

const ACCEPT: Verdict = { ok: true };
const reject = (status: 400 | 505 | 416, reason: RegExp, isResponse = false): Verdict => ({ status, reason, isResponse });

const CASES: readonly Case[] = [
  // 3.1.1 valid messages: must be accepted.
  { section: '3.1.1.1', name: 'wsinv', verdict: ACCEPT },
  { section: '3.1.1.2', name: 'intmeth', verdict: ACCEPT },
  { section: '3.1.1.3', name: 'esc01', verdict: ACCEPT },
  { section: '3.1.1.4', name: 'escnull', verdict: ACCEPT },
  { section: '3.1.1.5', name: 'esc02', verdict: ACCEPT },
  { section: '3.1.1.6', name: 'lwsdisp', verdict: ACCEPT },
  { section: '3.1.1.7', name: 'longreq', verdict: ACCEPT },
  { section: '3.1.1.8', name: 'dblreq', verdict: ACCEPT },
  { section: '3.1.1.9', name: 'semiuri', verdict: ACCEPT },
  { section: '3.1.1.10', name: 'transports', verdict: ACCEPT },
  { section: '3.1.1.11', name: 'mpart01', verdict: ACCEPT },
  { section: '3.1.1.12', name: 'unreason', verdict: ACCEPT },
  { section: '3.1.1.13', name: 'noreason', verdict: ACCEPT },
  // 3.1.2 invalid messages: must be rejected, for the reason the RFC names.
  { section: '3.1.2.1', name: 'badinv01', verdict: reject(400, /Via/) },
  { section: '3.1.2.2', name: 'clerr', verdict: reject(400, /Content-Length/) },
  { section: '3.1.2.3', name: 'ncl', verdict: reject(400, /Content-Length/) },
  { section: '3.1.2.4', name: 'scalar02', verdict: reject(400, /CSeq/) },
  { section: '3.1.2.5', name: 'scalarlg', verdict: reject(400, /CSeq/, true) },
  { section: '3.1.2.6', name: 'quotbal', verdict: reject(400, /To header \(unterminated quoted string\)/) },
  { section: '3.1.2.7', name: 'ltgtruri', verdict: reject(400, /Request-URI/) },
  { section: '3.1.2.8', name: 'lwsruri', verdict: reject(400, /Request-URI/) },
  { section: '3.1.2.9', name: 'lwsstart', verdict: reject(400, /Multiple SP in Request-Line/) },
  { section: '3.1.2.10', name: 'trws', verdict: reject(400, /Trailing whitespace in Request-Line/) },
  { section: '3.1.2.11', name: 'escruri', verdict: reject(400, /Request-URI \(escaped headers\)/) },
  { section: '3.1.2.12', name: 'baddate', verdict: reject(400, /Date/) },
  { section: '3.1.2.13', name: 'regbadct', verdict: reject(400, /Contact header .*angle brackets/) },
  { section: '3.1.2.14', name: 'badaspec', verdict: reject(400, /To header \(whitespace inside angle brackets\)/) },
  { section: '3.1.2.15', name: 'baddn', verdict: reject(400, /From header \(invalid display name\)/) },
  { section: '3.1.2.16', name: 'badvers', verdict: reject(505, /Version Not Supported/) },
  { section: '3.1.2.17', name: 'mismatch01', verdict: reject(400, /CSeq method does not match request method/) },
  { section: '3.1.2.18', name: 'mismatch02', verdict: reject(400, /CSeq method does not match request method/) },
  { section: '3.1.2.19', name: 'bigcode', verdict: reject(400, /Status-Code/, true) },
  // 3.2 transaction layer: a bare z9hG4bK branch must not break the parser.
  { section: '3.2.1', name: 'badbranch', verdict: ACCEPT },
  // 3.3 application layer.
  { section: '3.3.1', name: 'insuf', verdict: reject(400, /^Missing (From|To|Call-ID) header$/) },
  { section: '3.3.2', name: 'unkscm', verdict: reject(416, /Unsupported URI Scheme/) },
  { section: '3.3.3', name: 'novelsc', verdict: reject(416, /Unsupported URI Scheme/) },
  { section: '3.3.4', name: 'unksm2', verdict: ACCEPT },
  { section: '3.3.5', name: 'bext01', verdict: ACCEPT }, // 420 is for the Require stage
  { section: '3.3.6', name: 'invut', verdict: ACCEPT }, // 415 is for the body stage
  { section: '3.3.7', name: 'regaut01', verdict: ACCEPT }, // 401 is for the auth stage
  { section: '3.3.8', name: 'multi01', verdict: reject(400, /Duplicate/) },
  { section: '3.3.9', name: 'mcl01', verdict: reject(400, /Duplicate Content-Length/) },
  { section: '3.3.10', name: 'bcast', verdict: ACCEPT }, // a response; the Via check is the transaction layer's
  { section: '3.3.11', name: 'zeromf', verdict: ACCEPT }, // OPTIONS with Max-Forwards 0 is answered
  { section: '3.3.12', name: 'cparam01', verdict: ACCEPT },
  { section: '3.3.13', name: 'cparam02', verdict: ACCEPT },
  { section: '3.3.14', name: 'regescrt', verdict: ACCEPT },
  { section: '3.3.15', name: 'sdp01', verdict: ACCEPT }, // 406 is for the body stage
  // 3.4 backward compatibility: RFC 2543 syntax (no Max-Forwards, no branch, no Content-Length over UDP).
  { section: '3.4.1', name: 'inv2543', verdict: ACCEPT },
];

/**
 * The package ships baddn (3.1.2.15) without its final CRLF, which it keeps in
 * baddn_sep.dat; the RFC message is the two files concatenated.
 */
function fixturePaths(name: string): string[] {
  const main = join(FIXTURES, `${name}.dat`);
  return name === 'baddn' ? [main, join(FIXTURES, 'baddn_sep.dat')] : [main];
}

describe('RFC 4475 torture messages', () => {
  for (const { section, name, verdict } of CASES) {
    const title = 'ok' in verdict ? 'accepted' : `rejected with ${verdict.status}`;
    it(`RFC 4475 ${section} ${name}: ${title}`, () => {
      const { head, bodyLength } = readMessage(...fixturePaths(name));
      const result = validateSipMessage(head, bodyLength, { transport: 'UDP' });
      if ('ok' in verdict) {
        expect(result).toEqual({ ok: true });
        return;
      }
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.status).toBe(verdict.status);
      expect(result.reason).toMatch(verdict.reason);
      expect(result.isResponse).toBe(verdict.isResponse ?? false);
    });
  }

  it('classifies every fixture file and every 3.1.2 message', () => {
    const names = readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.dat') && f !== 'baddn_sep.dat')
      .map((f) => f.slice(0, -4))
      .sort();
    expect(names).toEqual(CASES.map((c) => c.name).sort());
    const invalid = CASES.filter((c) => c.section.startsWith('3.1.2.'));
    expect(invalid).toHaveLength(19);
    expect(invalid.every((c) => !('ok' in c.verdict))).toBe(true);
  });

  it('RFC 4475 3.1.1.8 dblreq: the second request after Content-Length 0 is ignored over UDP only', () => {
    const { head, bodyLength } = readMessage(...fixturePaths('dblreq'));
    expect(bodyLength).toBeGreaterThan(0);
    expect(validateSipMessage(head, bodyLength, { transport: 'UDP' })).toEqual({ ok: true });
    // On TCP the framing already cut the body to Content-Length.
    expect(validateSipMessage(head, 0, { transport: 'TCP' })).toEqual({ ok: true });
  });

  it('RFC 4475 3.4.1 inv2543: no Content-Length is fine on UDP, a 400 on TCP (RFC 3261 18.3)', () => {
    const { head, bodyLength } = readMessage(...fixturePaths('inv2543'));
    expect(validateSipMessage(head, bodyLength, { transport: 'UDP' }).ok).toBe(true);
    expect(validateSipMessage(head, bodyLength, { transport: 'TCP' })).toMatchObject({
      ok: false,
      status: 400,
      reason: 'Missing Content-Length on stream transport',
    });
  });

  it('RFC 4475 3.1.2.2 clerr: over TCP the framing used Content-Length, so it is not compared', () => {
    const { head } = readMessage(...fixturePaths('clerr'));
    expect(validateSipMessage(head, 9999, { transport: 'TCP' })).toEqual({ ok: true });
  });

  it('RFC 4475 3.3.2 unkscm: accepted when the scheme is configured as supported', () => {
    const { head, bodyLength } = readMessage(...fixturePaths('unkscm'));
    expect(validateSipMessage(head, bodyLength, { supportedSchemes: ['sip', 'nobodyknowsthisscheme'] })).toEqual({
      ok: true,
    });
  });

  it('keeps the fixtures byte-identical to the copies shipped in the sip package', () => {
    const copied = readdirSync(FIXTURES).map((f) => join(FIXTURES, f));
    copied.push(...readdirSync(EXTRAS).map((f) => join(EXTRAS, f)));
    for (const file of copied) {
      const original = join(PACKAGE_COPY, file.slice(file.lastIndexOf('/') + 1));
      if (!existsSync(original)) continue; // package not installed: nothing to compare with
      expect(readFileSync(file).equals(readFileSync(original))).toBe(true);
    }
  });
});

describe('sip package extras (in node_modules/sip/test/messages, not in RFC 4475)', () => {
  it('badcseq: CSeq without a number is rejected with 400', () => {
    const { head, bodyLength } = readMessage(join(EXTRAS, 'badcseq.dat'));
    expect(validateSipMessage(head, bodyLength)).toMatchObject({ ok: false, status: 400, reason: expect.stringMatching(/CSeq/) });
  });

  it('test: a Request-Line without SIP-Version is rejected with 400', () => {
    const { head, bodyLength } = readMessage(join(EXTRAS, 'test.dat'));
    expect(validateSipMessage(head, bodyLength)).toMatchObject({
      ok: false,
      status: 400,
      reason: 'Malformed Request-Line',
    });
  });
});
