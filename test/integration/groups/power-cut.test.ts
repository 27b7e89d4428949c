// DESIGN "Persistence" for group sessions (issue 10): a branch office loses power (SIGKILL, no
// BYE), the box comes back, every participant gets a BYE on its old dialog and rejoins the
// same group chat with the IM Session Identity it stored (OMA IM 7.1.1.9, 7.2.1.5); whoever
// does not rejoin within groups.rejoinWindowMs is removed (7.2.1.9) and the release policy goes on.
import { startServer, tempDir } from '../../helpers/server';
import { RawUa } from '../../helpers/raw-ua';
import { header } from '../../helpers/sip-peer';
import { FACTORY, delivered, factoryBody, focusIdentity, subscribe, until } from '../../helpers/group';
import { sessionFigures } from '../../helpers/figures';

test('a group session survives a power cut: BYE after the restart, the participants rejoin by identity and chat again; the one who does not is removed after the rejoin window', async () => {
  const dataDir = tempDir();
  const env = { IMEDGE_GROUPS__REJOIN_WINDOW_MS: '2500' };
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
    await new Promise((r) => setTimeout(r, 100));
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
      const end = Date.now() + 8000;
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
