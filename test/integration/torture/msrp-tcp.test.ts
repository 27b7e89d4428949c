// Issue 11 item 4: every MSRP torture frame (test/fixtures/torture/msrp) on its own TCP
// connection to a live server's MSRP port: exactly the expected outcome (statuses in order,
// then close or not), and after each the MSRP port still answers a fresh connection and SIP
// OPTIONS still gets 200.
import { describeObserved, fill, loadCases, tcpExchange, liveServer } from './torture';

const cases = loadCases('msrp');

function msrpStatuses(text: string): number[] {
  return [...text.matchAll(/(?:^|\r\n)MSRP \S+ (\d{3})[ \r]/g)].map((m) => Number(m[1]));
}

const PROBE = Buffer.from(
  'MSRP probe0001 SEND\r\nTo-Path: msrp://127.0.0.1:2855/probesession;tcp\r\nFrom-Path: msrp://127.0.0.1:40001/probe;tcp\r\n' +
    'Message-ID: probe\r\nByte-Range: 1-2/2\r\nContent-Type: text/plain\r\n\r\nhi\r\n-------probe0001$\r\n',
);

describe('MSRP torture set over TCP (RFC 4975)', () => {
  const live = liveServer();

  test('the set holds at least 30 frames, each with an expected outcome', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    for (const c of cases) expect([c.file, c.expect.tcp]).toEqual([c.file, expect.stringMatching(/^(\d{3}(,\d{3})*(\+close)?|drop|close)$/)]);
  });

  test.each(cases.map((c) => [c.file, c] as const))('%s', async (_f, c) => {
    const expected = c.expect.tcp!;
    const frame = fill(c.template, c.file.slice(0, 2), 'TCP');
    if (expected === 'drop') {
      // no answer, shown without waiting on a clock: the probe sent after it on the same
      // connection (after a CRLF, so a broken line ends first) gets the first and only answer
      const got = await tcpExchange(live.server.msrpPort!, Buffer.concat([frame, Buffer.from('\r\n'), PROBE]), {
        waitMs: 3000,
        closeGraceMs: 150,
        statusesOf: msrpStatuses,
        wanted: 1,
      });
      expect(`${c.file}: ${describeObserved(got)} ${/^MSRP (\S+)/.exec(got.text)?.[1]}`).toBe(`${c.file}: 481 probe0001`);
    } else {
      const wanted = /^\d/.test(expected) ? expected.replace('+close', '').split(',').length : 1;
      const got = await tcpExchange(live.server.msrpPort!, frame, {
        waitMs: /^\d/.test(expected) ? 3000 : 500,
        closeGraceMs: expected.endsWith('+close') ? 3000 : 150,
        statusesOf: msrpStatuses,
        wanted,
      });
      expect(`${c.file}: ${describeObserved(got)}`).toBe(`${c.file}: ${expected}`);
    }
    const again = await tcpExchange(live.server.msrpPort!, PROBE, { waitMs: 3000, closeGraceMs: 0, statusesOf: msrpStatuses, wanted: 1 });
    expect(again.statuses).toEqual([481]);
    expect(await live.optionsStatus()).toBe(200);
  });
});
