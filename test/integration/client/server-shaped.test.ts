// The client against a hand-built peer that behaves like the imedge server on the wire:
// digest challenges (401 on REGISTER, 407 on INVITE), an SDP answer saying a=setup:passive
// (the client dials), and an offer to a callee saying a=setup:passive (the callee dials).
import { createHash } from 'node:crypto';
import { ImClient, type ImSession, type InboundMessage } from '../../../src/client';
import { DigestAuthenticator } from '../../../src/core/auth/digest';
import { silentLogger } from '../../../src/log';
import { MsrpEndpoint, type ReceivedMessage } from '../../../src/msrp/endpoint';
import { MsrpNet } from '../../../src/msrp/net';
import { buildMsrpSdp, findMsrpMedia, parseSdp } from '../../../src/sdp';
import { SipStack, type IncomingRequest } from '../../../src/sip/stack';
import type { SipRequest } from '../../../src/sip/message/types';

const REALM = 'localhost';
const ha1 = (alg: 'md5' | 'sha256', user: string, pw: string) => createHash(alg).update(`${user}:${REALM}:${pw}`).digest('hex');
const creds = (user: string, pw: string) => ({ md5: ha1('md5', user, pw), sha256: ha1('sha256', user, pw) });

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface FakeServer {
  stack: SipStack;
  net: MsrpNet;
  received: ReceivedMessage[];
  requests: SipRequest[];
  endpoints: MsrpEndpoint[];
  close(): Promise<void>;
}

async function fakeServer(): Promise<FakeServer> {
  const auth = new DigestAuthenticator({ realm: REALM, nonceTtlS: 60, algorithms: ['SHA-256', 'MD5'] });
  const users: Record<string, { md5: string; sha256: string }> = { alice: creds('alice', 'pw-a') };
  const net = new MsrpNet();
  await net.listen('127.0.0.1', 0);
  const received: ReceivedMessage[] = [];
  const requests: SipRequest[] = [];
  const endpoints: MsrpEndpoint[] = [];
  const handler = (req: IncomingRequest): void => {
    const m = req.msg;
    requests.push(m);
    if (m.method === 'ACK') return;
    if (m.method === 'REGISTER') {
      const v = auth.verify(m.headers.authorization, 'REGISTER', (u) => users[u]);
      if (!v.ok) return req.reply(401, undefined, { headers: { 'www-authenticate': auth.challenges() } });
      return req.reply(200, undefined, { headers: { contact: (m.headers.contact as never[]).map((c: { uri: string }) => ({ uri: c.uri, params: { expires: '120' } })) } });
    }
    if (m.method === 'INVITE') {
      const v = auth.verify(m.headers['proxy-authorization'], 'INVITE', (u) => users[u]);
      if (!v.ok) return req.reply(407, undefined, { headers: { 'proxy-authenticate': auth.challenges() } });
      const offer = findMsrpMedia(parseSdp(m.body))!;
      const local = net.localUri();
      // like the participating function: our relay URI, passive, the client dials us
      endpoints.push(new MsrpEndpoint(net, { localUri: local, remotePath: offer.path, setup: 'passive' }, { onMessage: (x) => received.push(x) }));
      const sdp = buildMsrpSdp({
        origin: { username: '-', sessionId: 1, version: 1, address: '127.0.0.1' },
        address: '127.0.0.1', port: net.address!.port, proto: 'TCP/MSRP', acceptTypes: ['text/plain'], path: [local], setup: 'passive',
      });
      return req.reply(200, undefined, {
        headers: { contact: [{ uri: `sip:srv@127.0.0.1:${stack.port}`, params: {} }], 'content-type': 'application/sdp' },
        body: Buffer.from(sdp),
      });
    }
    req.reply(200);
  };
  const stack: SipStack = await SipStack.start(
    { bind: '127.0.0.1', port: 0, udp: true, tcp: true, maxBytesHeaders: 16384, maxContentLength: 65536, maxTransactions: 64, overloadRetryAfterS: 5, logger: silentLogger() },
    handler,
  );
  return {
    stack, net, received, requests, endpoints,
    async close() {
      await net.close();
      await stack.close();
    },
  };
}

let srv: FakeServer;
let client: ImClient | undefined;
beforeEach(async () => {
  srv = await fakeServer();
});
afterEach(async () => {
  await client?.close(200);
  client = undefined;
  await srv.close();
});

test('REGISTER answers the 401 digest challenge (same Call-ID, CSeq + 1)', async () => {
  client = await ImClient.start({ user: 'alice', password: 'pw-a', domain: 'localhost', server: { host: '127.0.0.1', port: srv.stack.port, transport: 'UDP' } });
  const rs = await client.register(3600);
  expect(rs.status).toBe(200);
  const regs = srv.requests.filter((r) => r.method === 'REGISTER');
  expect(regs).toHaveLength(2);
  expect(regs[1].headers.cseq!.seq).toBe(regs[0].headers.cseq!.seq + 1);
  expect(regs[1].headers['call-id']).toBe(regs[0].headers['call-id']);
});

test('a wrong password ends in SipStatusError 401', async () => {
  client = await ImClient.start({ user: 'alice', password: 'nope', domain: 'localhost', server: { host: '127.0.0.1', port: srv.stack.port, transport: 'TCP' } });
  await expect(client.register()).rejects.toMatchObject({ name: 'SipStatusError', status: 401 });
});

test('INVITE answers the 407 challenge; answer a=setup:passive -> the client dials the server path and sends', async () => {
  client = await ImClient.start({ user: 'alice', password: 'pw-a', domain: 'localhost', server: { host: '127.0.0.1', port: srv.stack.port, transport: 'TCP' } });
  const s = await client.invite('bob');
  expect((await s.send('via the server')).status).toBe(200);
  await until(() => srv.received.length === 1, 'message at the server');
  expect(srv.received[0].body.toString()).toBe('via the server');
  const invites = srv.requests.filter((r) => r.method === 'INVITE');
  expect(invites).toHaveLength(2);
  expect(invites[1].headers['proxy-authorization']).toBeDefined();
  // the ACK for the 2xx carries the authenticated INVITE's CSeq number
  await until(() => srv.requests.some((r) => r.method === 'ACK'), 'ACK');
  expect(srv.requests.find((r) => r.method === 'ACK')!.headers.cseq!.seq).toBe(invites[1].headers.cseq!.seq);
  expect(s.identity).toBe(`sip:srv@127.0.0.1:${srv.stack.port}`);
});

test('RFC 6135: an offer saying a=setup:passive (the server to a callee) -> the client answers active and dials', async () => {
  client = await ImClient.start({ user: 'bob', domain: 'localhost', server: { host: '127.0.0.1', port: srv.stack.port, transport: 'UDP' } });
  const sessions: ImSession[] = [];
  client.on('session', (s) => sessions.push(s));
  const local = srv.net.localUri();
  const atServer: ReceivedMessage[] = [];
  const sdp = buildMsrpSdp({
    origin: { username: '-', sessionId: 2, version: 1, address: '127.0.0.1' },
    address: '127.0.0.1', port: srv.net.address!.port, proto: 'TCP/MSRP', acceptTypes: ['text/plain'], path: [local], setup: 'passive',
  });
  const invite: SipRequest = {
    method: 'INVITE', uri: `sip:bob@127.0.0.1:${client.sipPort}`,
    headers: {
      via: [], 'max-forwards': '70', from: { uri: 'sip:alice@localhost', params: { tag: 'srvtag' } }, to: { uri: 'sip:bob@localhost', params: {} },
      'call-id': 'callee-leg-1', cseq: { seq: 1, method: 'INVITE' }, contact: [{ uri: `sip:srv@127.0.0.1:${srv.stack.port}`, params: {} }],
      'content-type': 'application/sdp',
    },
    body: Buffer.from(sdp),
  };
  let serverEp: MsrpEndpoint | undefined;
  const rs = await srv.stack.request(invite, {
    targets: [{ protocol: 'UDP', address: '127.0.0.1', port: client.sipPort }],
    onResponse: (r) => {
      // open the passive session as soon as the answer names the callee's path
      if (r.status === 200 && serverEp === undefined) {
        const ans = findMsrpMedia(parseSdp(r.body))!;
        serverEp = new MsrpEndpoint(srv.net, { localUri: local, remotePath: ans.path, setup: 'passive' }, { onMessage: (x) => atServer.push(x) });
      }
    },
  });
  expect(rs.status).toBe(200);
  const answer = findMsrpMedia(parseSdp(rs.body))!;
  expect(answer.setup).toBe('active');
  // the callee dials only after the ACK of its 2xx (the offerer's leg is ready by then)
  expect(serverEp!.connection).toBeUndefined();
  srv.stack.sendAck({ ...invite, method: 'ACK', headers: { ...invite.headers, to: rs.headers.to, cseq: { seq: 1, method: 'ACK' }, 'content-type': undefined }, body: Buffer.alloc(0) });
  expect(sessions).toHaveLength(1);
  const got: InboundMessage[] = [];
  sessions[0].on('message', (m) => got.push(m));
  await sessions[0].ready();
  await until(() => serverEp?.connection !== undefined, 'callee connection');
  expect((await serverEp!.send(Buffer.from('to the callee'))).status).toBe(200);
  expect((await sessions[0].send('from the callee')).status).toBe(200);
  await until(() => got.length === 1 && atServer.length === 1, 'both messages');
  expect(got[0].body.toString()).toBe('to the callee');
  expect(atServer[0].body.toString()).toBe('from the callee');
  // a BYE from the server is answered 200 (OMA IM 7.1.2.3)
  const bye: SipRequest = {
    method: 'BYE', uri: `sip:bob@127.0.0.1:${client.sipPort}`,
    headers: { via: [], 'max-forwards': '70', from: invite.headers.from, to: rs.headers.to, 'call-id': 'callee-leg-1', cseq: { seq: 2, method: 'BYE' } },
    body: Buffer.alloc(0),
  };
  const ended = new Promise((r) => sessions[0].once('ended', r));
  const byeRs = await srv.stack.request(bye, { targets: [{ protocol: 'UDP', address: '127.0.0.1', port: client.sipPort }] });
  expect(byeRs.status).toBe(200);
  expect(await ended).toBe('bye-received');
  // OMA IM 7.1.1.9: only a group session can be rejoined, so a 1-1 session leaves nothing stored
  expect(client.rejoinable()).toEqual([]);
});
