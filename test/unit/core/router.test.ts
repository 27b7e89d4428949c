// OPTIONS (issue 15 items 2 and 6) and where proxied requests go (item 1), through the router.
import { makeCore, request, type Core } from './harness';
import { answeredLocally } from '../../../src/core/router';

const opts = (uri: string, headers = {}) => ({ method: 'OPTIONS', uri, from: 'sip:alice@localhost', to: uri, headers });

describe('Router: OPTIONS', () => {
  let core: Core;
  afterEach(() => core.close());

  test('RFC 3261 11.2 / 20.35: OPTIONS to the server is answered here, with Server and no User-Agent', async () => {
    core = makeCore({ required: true });
    const r = request(opts('sip:localhost'));
    await core.router.handle(r.req);
    const f = r.final();
    expect(f.status).toBe(200);
    expect(f.headers.allow).toContain('MESSAGE');
    expect(f.headers.server).toBe('imedge-test');
    expect(f.headers['user-agent']).toBeUndefined();
    expect(core.sent).toHaveLength(0);
  });

  test('RFC 3261 8.2.2.3 (RFC 4475 3.3.5): OPTIONS answered here with a Require this server lacks is 420 naming it in Unsupported', async () => {
    core = makeCore();
    const r = request(opts('sip:localhost', { require: 'nothingSupportedHere' }));
    await core.router.handle(r.req);
    expect(r.final().status).toBe(420);
    expect(r.final().headers.unsupported).toBe('nothingSupportedHere');
  });

  test('RFC 3261 8.2.3 (RFC 4475 3.3.6): OPTIONS answered here with a body it cannot read is 415 saying what it accepts', async () => {
    core = makeCore();
    const typed = request(opts('sip:localhost', { 'content-type': 'application/unknownformat' }));
    (typed.req.msg as { body: Buffer }).body = Buffer.from('<x/>');
    await core.router.handle(typed.req);
    expect(typed.final().status).toBe(415);
    expect(typed.final().headers.accept).toContain('application/sdp');
    const encoded = request(opts('sip:localhost', { 'content-type': 'text/plain', 'content-encoding': 'gzip' }));
    (encoded.req.msg as { body: Buffer }).body = Buffer.from('zz');
    await core.router.handle(encoded.req);
    expect(encoded.final().status).toBe(415);
    expect(encoded.final().headers['accept-encoding']).toBe('identity');
    const plain = request(opts('sip:localhost', { 'content-type': 'text/plain;charset=utf-8' }));
    (plain.req.msg as { body: Buffer }).body = Buffer.from('hi');
    await core.router.handle(plain.req);
    expect(plain.final().status).toBe(200);
  });

  test('RFC 3261 11.2: OPTIONS to a user without credentials, when required, gets what an INVITE would: 407', async () => {
    core = makeCore({ required: true, users: ['alice', 'bob'] });
    core.registrar.handle(request({ method: 'REGISTER', uri: 'sip:localhost', from: 'sip:bob@localhost', to: 'sip:bob@localhost', contact: [{ uri: 'sip:bob@127.0.0.1:5090', params: {} }] }).req);
    const r = request(opts('sip:bob@localhost'));
    await core.router.handle(r.req);
    expect(r.final().status).toBe(407);
    expect(r.final().headers['proxy-authenticate']).toBeDefined();
    expect(core.sent).toHaveLength(0);
  });

  test('RFC 3261 11.2: OPTIONS to an unknown user is 404, to an offline one 480, never 200 from the server', async () => {
    core = makeCore({ users: ['dave'] });
    const unknown = request(opts('sip:nobody@localhost'));
    await core.router.handle(unknown.req);
    expect(unknown.final().status).toBe(404);
    const offline = request(opts('sip:dave@localhost'));
    await core.router.handle(offline.req);
    expect(offline.final().status).toBe(480);
  });

  test('RFC 3261 11.2: OPTIONS to a registered user is proxied to the Contact and the answer relayed', async () => {
    core = makeCore({ answer: 200 });
    core.registrar.handle(request({ method: 'REGISTER', uri: 'sip:localhost', from: 'sip:bob@localhost', to: 'sip:bob@localhost', contact: [{ uri: 'sip:bob@127.0.0.1:5090', params: {} }] }).req);
    const r = request(opts('sip:bob@localhost'));
    await core.router.handle(r.req);
    expect(r.final().status).toBe(200);
    expect(core.sent).toHaveLength(1);
    expect(core.sent[0]!.rq.method).toBe('OPTIONS');
    // RFC 3261 16.6 step 6: to the Contact, not to the port the REGISTER came from (40001)
    expect(core.sent[0]!.targets).toEqual([{ protocol: 'UDP', address: '127.0.0.1', port: 5090 }]);
  });

  test('RFC 3261 16.3 step 2: OPTIONS to a user with Max-Forwards: 0 is answered here', async () => {
    core = makeCore();
    const r = request(opts('sip:bob@localhost', { 'max-forwards': '0' }));
    await core.router.handle(r.req);
    expect(r.final().status).toBe(200);
    expect(core.sent).toHaveLength(0);
  });
});

describe('Router: a contact that cannot be reached (attack finding F3)', () => {
  let core: Core;
  afterEach(() => core.close());

  test('RFC 3261 16.7 step 6 / 21.4.18: a MESSAGE whose only contact could not be reached (our own untagged 503) is 480, never 500', async () => {
    core = makeCore({ users: ['alice', 'vic'], answer: 503 });
    const flow = { protocol: 'TCP' as const, address: '127.0.0.1', port: 40100 };
    core.registrar.handle(request({ method: 'REGISTER', uri: 'sip:localhost', from: 'sip:vic@localhost', to: 'sip:vic@localhost', contact: [{ uri: 'sip:vic@127.0.0.1:40100;transport=tcp', params: {} }] }, flow).req);
    const r = request({ method: 'MESSAGE', uri: 'sip:vic@localhost', from: 'sip:alice@localhost', to: 'sip:vic@localhost', headers: { 'content-type': 'text/plain' } });
    (r.req.msg as { body: Buffer }).body = Buffer.from('hello');
    await core.router.handle(r.req);
    expect(core.sent).toHaveLength(1);
    expect(r.final().status).toBe(480);
  });
});

describe('answeredLocally (attack finding F4: the stack\'s reserve beyond sip.maxTransactions)', () => {
  test('RFC 3261 10.3 / 9.2 / 11.2: REGISTER, CANCEL and OPTIONS to the server are answered here; OPTIONS to a user and MESSAGE are forwarded', () => {
    expect(answeredLocally('REGISTER', 'sip:localhost')).toBe(true);
    expect(answeredLocally('CANCEL', 'sip:bob@localhost')).toBe(true);
    expect(answeredLocally('OPTIONS', 'sip:localhost')).toBe(true);
    expect(answeredLocally('OPTIONS', 'sip:127.0.0.1:5060')).toBe(true);
    expect(answeredLocally('OPTIONS', 'sip:bob@localhost')).toBe(false);
    expect(answeredLocally('OPTIONS', 'not a uri')).toBe(false);
    expect(answeredLocally('MESSAGE', 'sip:localhost')).toBe(false);
    expect(answeredLocally('INVITE', 'sip:bob@localhost')).toBe(false);
  });
});
