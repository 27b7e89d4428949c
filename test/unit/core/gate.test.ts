// Which digest algorithms a client is offered (issue 15 item 7).
import { DigestAuthenticator, answerChallenge } from '../../../src/core/auth/digest';
import { AuthGate } from '../../../src/core/auth/gate';
import { createLogger, silentLogger } from '../../../src/log';
import { makeCore, request, type Core } from './harness';

const reg = (ua?: string) =>
  request({ method: 'REGISTER', uri: 'sip:localhost', from: 'sip:erin@localhost', to: 'sip:erin@localhost', contact: [{ uri: 'sip:erin@127.0.0.1:5077', params: {} }], headers: ua ? { 'user-agent': ua } : {} });

const offered = (core: Core, ua?: string) => {
  const r = reg(ua);
  core.registrar.handle(r.req);
  const f = r.final();
  expect(f.status).toBe(401);
  return (f.headers['www-authenticate'] ?? []).map((c) => c.algorithm);
};

describe('AuthGate: algorithms offered per User-Agent', () => {
  let core: Core;
  afterEach(() => core.close());

  test('RFC 8760 2.4: a client named in auth.md5UserAgents is challenged with MD5 alone', () => {
    core = makeCore({ required: true, users: ['erin'], md5UserAgents: ['baresip', 'SIPSAK'] });
    expect(offered(core, 'baresip v1.0.0 (x86_64/linux)')).toEqual(['MD5']);
    expect(offered(core, 'sipsak 0.9.8.1')).toEqual(['MD5']);
  });

  test('RFC 8760 2.4: every other client gets SHA-256 first, then MD5', () => {
    core = makeCore({ required: true, users: ['erin'], md5UserAgents: ['baresip'] });
    expect(offered(core, 'Linphone Desktop/5.1 (belle-sip/5.1)')).toEqual(['SHA-256', 'MD5']);
    expect(offered(core)).toEqual(['SHA-256', 'MD5']);
    // a prefix, not a substring: a client mentioning baresip later in its name is not matched
    expect(offered(core, 'MyPhone (like baresip)')).toEqual(['SHA-256', 'MD5']);
  });

  test('the list offers nothing beyond auth.algorithms: without MD5 configured it is ignored', () => {
    core = makeCore({ required: true, users: ['erin'], md5UserAgents: ['baresip'] });
    const sha = new DigestAuthenticator({ realm: 'localhost', nonceTtlS: 60, algorithms: ['SHA-256'] });
    const gate = new AuthGate(true, sha, core.store.users, silentLogger(), { md5UserAgents: ['baresip'] });
    expect(gate.algorithmsFor(reg('baresip v1.0.0').req)).toEqual(['SHA-256']);
  });
});

describe('AuthGate: what a challenge writes to the log (attack finding: one info line per challenge)', () => {
  let core: Core;
  afterEach(() => core.close());

  test('no credentials yet: debug only; wrong credentials: at most one info line a second, the rest counted on it', () => {
    core = makeCore({ required: true, users: ['erin'] });
    const lines: { level: number; reason?: string; suppressed?: number }[] = [];
    const log = createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(JSON.parse(l) as { level: number }) } });
    const digest = new DigestAuthenticator({ realm: 'localhost', nonceTtlS: 60, algorithms: ['MD5'] });
    const gate = new AuthGate(true, digest, core.store.users, log);
    for (let i = 0; i < 500; i++) expect(gate.check(reg().req, 'erin', 'registrar')).toBeUndefined();
    expect(lines).toEqual([]);
    const wrong = () => {
      const ch = digest.challenges()[0];
      const auth = answerChallenge(ch, { user: 'erin', password: 'wrong' }, 'REGISTER', 'sip:localhost');
      return request({ method: 'REGISTER', uri: 'sip:localhost', from: 'sip:erin@localhost', to: 'sip:erin@localhost', headers: { authorization: [auth] } }).req;
    };
    for (let i = 0; i < 500; i++) expect(gate.check(wrong(), 'erin', 'registrar')).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, reason: 'bad-response' });
  });
});
