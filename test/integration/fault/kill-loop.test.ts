// Issue 11 item 6(a): scripts/fault/kill-loop.ts with 3 kills (the script's default is 20,
// `node dist/scripts/fault/kill-loop.js --runs N`). The group power-cut test
// (test/integration/groups/power-cut.test.ts) proves the group session's restore in detail;
// this one adds pager MESSAGE and MSRP 1-1 load and random kill moments.
import { runKillLoop } from '../../../scripts/fault/kill-loop';

test('issue 11 item 6(a): SIGKILL at random moments of MESSAGE, MSRP 1-1 and group load: integrity_check ok, registrations and the group intact, nothing acknowledged lost', async () => {
  const f = await runKillLoop(3);
  expect(f.kills).toBe(3);
  expect({ integrityOk: f.integrityOk, registrationsIntact: f.registrationsIntact, groupsIntact: f.groupsIntact }).toEqual({ integrityOk: 3, registrationsIntact: 3, groupsIntact: 3 });
  // load happened, and what was acknowledged arrived
  expect(f.pager.acked).toBeGreaterThan(0);
  expect(f.pager.ackedNotDelivered).toBe(0);
  expect(f.msrp1to1.confirmed).toBeGreaterThan(0);
  expect(f.msrp1to1.confirmedNotDelivered).toBe(0);
  expect(f.group.confirmed).toBeGreaterThan(0);
  expect(f.group.confirmedNotDelivered).toBe(0);
}, 90_000);
