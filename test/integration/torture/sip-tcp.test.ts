// Issue 11 item 4: every SIP torture message (test/fixtures/torture/sip) on its own TCP
// connection to a live server: exactly the expected outcome (status, status then close, or a
// close where no transaction can be read), and OPTIONS still gets 200 after each.
import { describeObserved, fill, loadCases, sipStatuses, tcpExchange, liveServer } from './torture';

const cases = loadCases('sip');

describe('SIP torture set over TCP (RFC 4475 categories)', () => {
  const live = liveServer();

  test('each message has an expected TCP outcome', () => {
    for (const c of cases) expect([c.file, c.expect.tcp]).toEqual([c.file, expect.stringMatching(/^(\d{3}(\+close)?|drop|close)$/)]);
  });

  test.each(cases.map((c) => [c.file, c] as const))('%s', async (_f, c) => {
    const expected = c.expect.tcp!;
    const answered = /^\d/.test(expected);
    const got = await tcpExchange(live.server.sipPort, fill(c.template, `tcp-${c.file.slice(0, 2)}`, 'TCP'), {
      // a close comes at once; "drop" is nothing within this window with the connection still open
      waitMs: answered ? 3000 : 500,
      // the server ends a connection it cannot frame after writing the answer
      closeGraceMs: expected.endsWith('+close') ? 3000 : 150,
      statusesOf: sipStatuses,
      wanted: 1,
    });
    expect(`${c.file}: ${describeObserved(got)}`).toBe(`${c.file}: ${expected}`);
    expect(await live.optionsStatus()).toBe(200);
  });
});
