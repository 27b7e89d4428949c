// Issue 11 item 4: every SIP torture message (test/fixtures/torture/sip) as one UDP datagram
// to a live server: exactly the expected outcome, and OPTIONS still gets 200 after each.
import { describeObserved, fill, loadCases, udpExchange, liveServer } from './torture';

const cases = loadCases('sip');

describe('SIP torture set over UDP (RFC 4475 categories)', () => {
  const live = liveServer();

  test('the set holds at least 60 messages, each with an expected UDP outcome', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    for (const c of cases) expect([c.file, c.expect.udp]).toEqual([c.file, expect.stringMatching(/^(\d{3}|drop)$/)]);
  });

  test.each(cases.map((c) => [c.file, c] as const))('%s', async (_f, c) => {
    const expected = c.expect.udp!;
    const got = await udpExchange(live.server.sipPort, fill(c.template, `udp-${c.file.slice(0, 2)}`, 'UDP'), expected === 'drop' ? 400 : 3000);
    expect(`${c.file}: ${describeObserved(got)}`).toBe(`${c.file}: ${expected}`);
    expect(await live.optionsStatus()).toBe(200);
  });
});
