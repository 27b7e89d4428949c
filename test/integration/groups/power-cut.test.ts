// DESIGN "Persistence" for group sessions (issue 10): a branch office loses power (SIGKILL, no
// BYE), the box comes back, every participant gets a BYE on its old dialog and rejoins the
// same group chat with the IM Session Identity it stored (OMA IM 7.1.1.9, 7.2.1.5); whoever
// does not rejoin within groups.rejoinWindowMs is removed (7.2.1.9) and the release policy goes on.
import { startServer, tempDir } from '../../helpers/server';
import { scaled } from '../../helpers/node-exe';
import { RawUa } from '../../helpers/raw-ua';
import { header } from '../../helpers/sip-peer';
import { FACTORY, delivered, factoryBody, focusIdentity, putGroup, subscribe, until } from '../../helpers/group';
import { sessionFigures } from '../../helpers/figures';
import * as path from 'node:path';
import Database from 'better-sqlite3';

test('a group session survives a power cut: BYE after the restart, the participants rejoin by identity and chat again; the one who does not is removed after the rejoin window', async () => {
  const dataDir = tempDir();
  // scaled under emulation: a and b must rejoin inside it, as they do natively
  const env = { IMEDGE_GROUPS__REJOIN_WINDOW_MS: String(scaled(2500)) };
  const s1 = await startServer({ dataDir, env });
  const [a, b, c] = await Promise.all(['pc-a', 'pc-b', 'pc-c'].map((n) => RawUa.open(n, s1.sipPort)));
  try {
    const rs = await a!.invite('conference-factory', { requestUri: FACTORY, wrap: factoryBody(['sip:pc-b@localhost', 'sip:pc-c@localhost']) });
    expect(rs.status).toBe(200);
    const identity = focusIdentity(rs);
    for (const u of [b!, c!]) {
      await until(() => u.incomingReady !== undefined, `${u.user} invited`);
      await u.incomingReady;
    }
    // the invitees' rows are written in the next group commit: give it its window
    await new Promise((r) => setTimeout(r, scaled(100)));
    s1.proc.kill('SIGKILL');
    await new Promise((r) => s1.proc.once('exit', r));
    expect(a!.byes.length + b!.byes.length + c!.byes.length).toBe(0);

    const s2 = await startServer({ dataDir, env, args: ['--sip-port', String(s1.sipPort)] });
    try {
      await until(() => [a!, b!, c!].every((u) => u.byes.length === 1), 'BYE to every stored participant');
      expect(header(a!.byes[0]!, 'reason')).toMatch(/rejoin with the IM Session Identity/);
      const restored = await sessionFigures(s2.httpPort);
      expect(restored['groups.sessions']).toBe(1);
      expect(restored['groups.disconnected']).toBe(3);
      // OMA IM 7.2.1.5: a and b rejoin with the identity they stored
      expect((await a!.invite('x', { requestUri: identity })).status).toBe(200);
      expect((await b!.invite('x', { requestUri: identity })).status).toBe(200);
      const sub = await subscribe(a!, identity, { expires: 600 });
      expect(sub.rs.status).toBe(200);
      await until(() => a!.notifies.length >= 1, 'state NOTIFY');
      expect(a!.notifies[0]!.body.toString()).toMatch(/<status>disconnected<\/status>/);
      await a!.endpoint!.send(Buffer.from('we are back'), { contentType: 'text/plain' });
      await until(() => b!.messages.length === 1, 'b hears a after the restart');
      expect(delivered(b!.messages[0]!).text).toBe('we are back');
      // c never rejoins: removed when the window closes; a and b go on
      const end = Date.now() + scaled(8000);
      let figures = await sessionFigures(s2.httpPort);
      while (figures['groups.disconnected'] !== 0 && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 100));
        figures = await sessionFigures(s2.httpPort);
      }
      expect(figures['groups.disconnected']).toBe(0);
      expect(figures['groups.sessions']).toBe(1);
      expect(figures['groups.participants']).toBe(2);
      // the initiator leaves: 7.2.2.8 1a ends the session; a rejoin afterwards gets 404
      expect((await a!.requestInDialog('BYE')).status).toBe(200);
      await until(() => b!.byes.length === 2, 'b BYEd at the release');
      expect((await c!.invite('x', { requestUri: identity })).status).toBe(404);
    } finally {
      expect(await s2.stop()).toBe(0);
    }
  } finally {
    for (const u of [a, b, c]) await u!.close();
  }
});

test('issue 10: a pre-defined group session of 3, killed and restarted 10 times: every time the same identity, the others NOTIFYed, messages flow again, nothing lost; PRAGMA integrity_check ok', async () => {
  const dataDir = tempDir();
  let s = await startServer({ dataDir });
  const sipPort = s.sipPort;
  const [a, b, c] = await Promise.all(['pk-a', 'pk-b', 'pk-c'].map((n) => RawUa.open(n, sipPort)));
  const all = [a!, b!, c!];
  try {
    expect(await putGroup(s.httpPort, { id: 'pk-team', members: ['pk-a', 'pk-b', 'pk-c'], inviteMembers: true, autoRelease: false })).toBe(201);
    const rs = await a!.invite('pk-team', { requestUri: 'sip:pk-team@localhost' });
    expect(rs.status).toBe(200);
    const identity = focusIdentity(rs);
    for (const u of [b!, c!]) {
      await until(() => u.incomingReady !== undefined, `${u.user} invited`);
      await u.incomingReady;
    }
    expect((await subscribe(c!, identity, { expires: 3600 })).rs.status).toBe(200);
    await until(() => c!.notifies.length === 1, 'first NOTIFY');
    for (let round = 1; round <= 10; round++) {
      await new Promise((r) => setTimeout(r, scaled(50))); // the last writes' group commit window
      s.proc.kill('SIGKILL');
      await new Promise((r) => s.proc.once('exit', r));
      s = await startServer({ dataDir, args: ['--sip-port', String(sipPort)] });
      await until(() => all.every((u) => u.byes.length === round), `round ${round}: BYE to everyone`);
      // the restored subscription hears the restored state: everyone disconnected
      await until(() => /<status>disconnected<\/status>/.test(c!.notifies[c!.notifies.length - 1]?.body.toString() ?? ''), `round ${round}: restored NOTIFY`);
      const before = c!.notifies.length;
      for (const u of all) {
        const back = await u.invite('x', { requestUri: identity });
        expect({ round, user: u.user, status: back.status, identity: focusIdentity(back) }).toEqual({ round, user: u.user, status: 200, identity });
      }
      // OMA IM 7.2.1.5 steps 9-10: the others see the rejoins
      await until(() => c!.notifies.length > before && (c!.notifies[c!.notifies.length - 1]!.body.toString().match(/<status>connected<\/status>/g) ?? []).length >= 2, `round ${round}: NOTIFY of the rejoins`);
      const text = `round ${round}`;
      await a!.endpoint!.send(Buffer.from(text), { contentType: 'text/plain' });
      await until(() => b!.messages.some((m) => delivered(m).text === text) && c!.messages.some((m) => delivered(m).text === text), `round ${round}: message flows`);
    }
    // nothing lost: one message per round reached each of the others
    expect(b!.messages.map((m) => delivered(m).text)).toEqual(Array.from({ length: 10 }, (_, i) => `round ${i + 1}`));
    // versions only grow, across every restart
    const versions = c!.notifies.map((n) => Number(/version="(\d+)"/.exec(n.body.toString())?.[1]));
    for (let i = 1; i < versions.length; i++) expect(versions[i]).toBeGreaterThan(versions[i - 1]!);
  } finally {
    expect(await s.stop()).toBe(0);
    for (const u of all) await u.close();
  }
  const db = new Database(path.join(dataDir, 'imedge.db'), { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  } finally {
    db.close();
  }
}, scaled(120_000));
