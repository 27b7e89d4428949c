// How the registrar records the way back to a contact (issue 15 item 1).
import { makeCore, request, type Core } from './harness';

const REG = { method: 'REGISTER', uri: 'sip:localhost', from: 'sip:erin@localhost', to: 'sip:erin@localhost' };
const INSTANCE = '"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"';

describe('Registrar: how a binding is reached', () => {
  let core: Core;
  afterEach(() => core.close());

  test('RFC 3261 16.5: by default the Contact, even when the REGISTER came from another port', () => {
    core = makeCore();
    const r = request({ ...REG, contact: [{ uri: 'sip:erin@127.0.0.1:5077', params: {} }] });
    core.registrar.handle(r.req);
    expect(r.final().status).toBe(200);
    expect(r.final().headers.require).toBeUndefined();
    const [b] = core.registrar.lookup('erin');
    expect(b!.reach).toBeUndefined();
    expect(b!.received).toEqual({ protocol: 'UDP', address: '127.0.0.1', port: 40001 });
  });

  test('RFC 5626 6: +sip.instance and reg-id from the first hop keep the flow, and the 200 says Require: outbound', () => {
    core = makeCore();
    const r = request({ ...REG, contact: [{ uri: 'sip:erin@127.0.0.1:5077;ob', params: { '+sip.instance': INSTANCE, 'reg-id': '1' } }] });
    core.registrar.handle(r.req);
    expect(r.final().status).toBe(200);
    expect(r.final().headers.require).toBe('outbound');
    expect(core.registrar.lookup('erin')[0]!.reach).toBe('outbound');
  });

  test('RFC 5626 6: not the first hop (two Vias, no Path): reg-id is ignored', () => {
    core = makeCore();
    const r = request({ ...REG, vias: 2, contact: [{ uri: 'sip:erin@127.0.0.1:5077', params: { '+sip.instance': INSTANCE, 'reg-id': '1' } }] });
    core.registrar.handle(r.req);
    expect(r.final().headers.require).toBeUndefined();
    expect(core.registrar.lookup('erin')[0]!.reach).toBeUndefined();
  });

  test('RFC 5626 6: a new flow of the same instance and reg-id replaces the old binding', () => {
    core = makeCore();
    const c = (port: number) => [{ uri: `sip:erin@127.0.0.1:${port};ob`, params: { '+sip.instance': INSTANCE, 'reg-id': '1' } }];
    core.registrar.handle(request({ ...REG, contact: c(5077) }).req);
    core.registrar.handle(request({ ...REG, contact: c(5078) }, { protocol: 'UDP', address: '127.0.0.1', port: 40002 }).req);
    const all = core.registrar.lookup('erin');
    expect(all.map((b) => b.contact)).toEqual(['sip:erin@127.0.0.1:5078;ob']);
    expect(all[0]!.received.port).toBe(40002);
  });

  test('registrar.natTest: when the test says so, the source address is kept as the way back', () => {
    core = makeCore({ natTest: 'address-port' });
    core.registrar.handle(request({ ...REG, contact: [{ uri: 'sip:erin@127.0.0.1:5077', params: {} }] }).req);
    expect(core.registrar.lookup('erin')[0]!.reach).toBe('nat');
  });

  test('a reg-id that is not a positive number is ignored rather than failing the REGISTER', () => {
    core = makeCore();
    const r = request({ ...REG, contact: [{ uri: 'sip:erin@127.0.0.1:5077', params: { '+sip.instance': INSTANCE, 'reg-id': 'abc' } }] });
    core.registrar.handle(r.req);
    expect(r.final().status).toBe(200);
    expect(core.registrar.lookup('erin')[0]!.regId).toBeUndefined();
  });
});

describe('Registrar: what the store cannot keep (second limits attack, F7)', () => {
  let core: Core;
  afterEach(() => core.close());

  test('RFC 3261 10.3: a Call-ID longer than the store keeps gets 400 (it got 500), nothing stored', () => {
    core = makeCore();
    const r = request({ ...REG, contact: [{ uri: 'sip:erin@127.0.0.1:5077', params: {} }], headers: { 'call-id': `x${'a'.repeat(5000)}` } });
    core.registrar.handle(r.req);
    expect(r.final().status).toBe(400);
    expect(r.final().reason).toMatch(/Call-ID/);
    expect(core.registrar.lookup('erin')).toHaveLength(0);
  });

  test('RFC 3261 10.3: a Contact URI longer than the store keeps gets 400, nothing stored', () => {
    core = makeCore();
    const r = request({ ...REG, contact: [{ uri: `sip:erin@127.0.0.1:5077;x=${'a'.repeat(3000)}`, params: {} }] });
    core.registrar.handle(r.req);
    expect(r.final().status).toBe(400);
    expect(core.registrar.lookup('erin')).toHaveLength(0);
  });
});
