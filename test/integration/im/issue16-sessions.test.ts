// Issue 16 "One SEND takes the server down", the session items, over real sockets with the
// exact bytes of the report: SIPp as the callee where only SIP is needed, RawUa (SIP + real
// MSRP) where the session must be confirmed first.
import { sessionFigures } from '../../helpers/figures';
import { startServer, type ServerHandle } from '../../helpers/server';
import { RawUa, msrpOffer } from '../../helpers/raw-ua';
import { header } from '../../helpers/sip-peer';
import { sipp, sippPort } from '../../helpers/sipp';
import { openStore } from '../../../src/store';

// A busy neighbour on the shared test machine must not put the server under pressure (503).
const CALM = { IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000' };

const figures = (s: ServerHandle): Promise<Record<string, number>> => sessionFigures(s.httpPort);

const until = async (pred: () => boolean | Promise<boolean>, ms = 8000) => {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

async function registerSipp(s: ServerHandle, user: string, port: number): Promise<void> {
  const reg = await sipp(s.sipPort, 'register-expect-200.xml', { service: user, localPort: port });
  if (reg.code !== 0) throw new Error(`SIPp register ${user}: ${reg.out}`);
}

describe('issue 16 item 3: a callee a=path the MSRP layer cannot use', () => {
  // The report's bytes: accepted by the old SDP check, refused by the MSRP URI parser.
  test.each(['msrp://x;y@127.0.0.1:9/bs;tcp', 'msrp://[::::]:9/b6;tcp'])(
    'RFC 4975 section 9 + RFC 3261 15: a 200 with a=path:%s gets 488 to the caller and BYE to the callee, and no session is left to lock the user out',
    async (badPath) => {
      const perUser = 2;
      const s = await startServer({ env: { ...CALM, IMEDGE_SESSIONS__MAX_PER_USER: String(perUser) } });
      try {
        const alice = await RawUa.open('alice', s.sipPort);
        const carol = await RawUa.open('carol', s.sipPort);
        const bobPort = sippPort();
        await registerSipp(s, 'bob', bobPort);
        const attempts = perUser + 2;
        const callee = sipp(s.sipPort, 'invite-uas-200-path-expect-bye.xml', { service: 'bob', localPort: bobPort, calls: attempts, timeoutS: 20, keys: { msrp_path: badPath } });
        await new Promise((r) => setTimeout(r, 300));
        for (let i = 0; i < attempts; i++) {
          const rs = await alice.invite('bob');
          // Before the fix: 500, and from attempt perUser + 1 on, 486 (user locked out).
          expect(rs.status).toBe(488);
        }
        // SIPp exits 0 only if every call got our ACK and then our BYE.
        const done = await callee;
        expect({ code: done.code, out: done.code === 0 ? '' : done.out }).toEqual({ code: 0, out: '' });
        await until(async () => {
          const f = await figures(s);
          return f['1-1'] === 0 && f.livePairs === 0;
        });
        // The caller is not locked out: a session with a well-behaved callee still works.
        const ok = await alice.invite('carol');
        expect(ok.status).toBe(200);
        await carol.incomingReady;
        expect((await alice.requestInDialog('BYE')).status).toBe(200);
        await alice.close();
        await carol.close();
      } finally {
        await s.stop();
      }
    },
  );

  test('RFC 3261 16.8 (Timer C) / 9.1: a callee that rings forever is cancelled after sessions.setupTimeoutMs, the caller gets 408', async () => {
    const s = await startServer({ env: { ...CALM, IMEDGE_SESSIONS__SETUP_TIMEOUT_MS: '600', IMEDGE_SESSIONS__MAX_PER_USER: '1' } });
    try {
      const alice = await RawUa.open('alice', s.sipPort);
      const bobPort = sippPort();
      await registerSipp(s, 'bob', bobPort);
      const callee = sipp(s.sipPort, 'invite-uas-180-expect-cancel.xml', { service: 'bob', localPort: bobPort, calls: 2, timeoutS: 15 });
      await new Promise((r) => setTimeout(r, 300));
      // Twice with one session per user: the first one must really be gone.
      expect((await alice.invite('bob')).status).toBe(408);
      expect((await alice.invite('bob')).status).toBe(408);
      const done = await callee;
      expect({ code: done.code, out: done.code === 0 ? '' : done.out }).toEqual({ code: 0, out: '' });
      await until(async () => (await figures(s))['1-1'] === 0);
      expect(s.lines.filter((l) => l.msg === 'session not established in time: releasing the session')).toHaveLength(2);
      await alice.close();
    } finally {
      await s.stop();
    }
  });
});

describe('issue 16 item 7: a re-INVITE answered after the session was released', () => {
  test('RFC 3261 15.1.2 + 13.2.2.4: the pending re-INVITE gets 487, the late 2xx is ACKed, and no session row is written back', async () => {
    const s = await startServer({ env: CALM });
    let sessionId = '';
    try {
      const alice = await RawUa.open('alice', s.sipPort);
      const bob = await RawUa.open('bob', s.sipPort);
      expect((await alice.invite('bob')).status).toBe(200);
      await bob.incomingReady;
      sessionId = String((await s.waitForLog((l) => l.msg === 'session established')).session);

      bob.holdReinvite = true;
      const reinvite = alice.requestInDialog('INVITE', ['Content-Type: application/sdp'], Buffer.from(msrpOffer(alice['msrpUri' as never], { acceptTypes: ['text/plain'] })));
      await until(() => bob.heldReinvites.length > 0);
      const reCseq = header(bob.heldReinvites[0], 'cseq');
      // The caller hangs up while the callee holds its answer.
      const byeRs = await alice.peer.requestRaw(
        Buffer.from(
          [
            `BYE ${alice.dialog!.remoteTarget} SIP/2.0`,
            `Via: SIP/2.0/UDP 127.0.0.1:${alice.peer.port};branch=z9hG4bKbye${Date.now()};rport`,
            'Max-Forwards: 70',
            `From: <${alice.dialog!.localUri}>;tag=${alice.dialog!.localTag}`,
            `To: <${alice.dialog!.remoteUri}>;tag=${alice.dialog!.remoteTag}`,
            `Call-ID: ${alice.dialog!.callId}`,
            `CSeq: ${alice.dialog!.cseq + 1} BYE`,
            'Content-Length: 0',
            '',
            '',
          ].join('\r\n'),
        ),
        `${alice.dialog!.callId}|${alice.dialog!.cseq + 1} BYE`,
      );
      expect(byeRs.status).toBe(200);
      // Before the fix the caller got 200 here, for a session that no longer exists.
      expect((await reinvite).status).toBe(487);
      await until(() => bob.byes.length === 1);

      bob.answerHeldReinvite();
      // RFC 3261 13.2.2.4: the late 2xx is ACKed all the same.
      await until(() => bob.acks.some((a) => header(a, 'cseq') === reCseq?.replace('INVITE', 'ACK')));
      await until(async () => (await figures(s))['1-1'] === 0);
      await s.waitForLog((l) => l.msg === 're-INVITE answered after the session was released: ACKed and ignored');
      await alice.close();
      await bob.close();
    } finally {
      expect(await s.stop()).toBe(0);
    }
    // Nothing was written back for the released session (before the fix: a 'terminated' row forever).
    const store = openStore({ dataDir: s.dataDir, synchronous: 'FULL', cacheSizeKiB: 1024, busyTimeoutMs: 1000 });
    try {
      expect(store.sessions.get(sessionId)).toBeUndefined();
      expect(store.sessions.live()).toHaveLength(0);
    } finally {
      store.close();
    }
  });
});
