// A registrar, auth gate and router over a real temp SQLite store, fed typed requests with
// a captured answer: the core's decisions without sockets.
import { computeHa1 } from '../../../src/store/ha1';
import { DigestAuthenticator } from '../../../src/core/auth/digest';
import { AuthGate } from '../../../src/core/auth/gate';
import { Registrar, type RegistrarOptions } from '../../../src/core/registrar';
import { Router } from '../../../src/core/router';
import { silentLogger } from '../../../src/log';
import { IncomingRequest, type SipStack } from '../../../src/sip/stack';
import type { Flow, NameAddr, SipHeaders, SipRequest, SipResponse } from '../../../src/sip/message/types';
import type { Store } from '../../../src/store';
import { makeTempDir, open, type TempDir } from '../store/tmp-store';

export const REALM = 'localhost';

export interface Core {
  tmp: TempDir;
  store: Store;
  registrar: Registrar;
  router: Router;
  gate: AuthGate;
  digest: DigestAuthenticator;
  /** Requests the router sent onwards, with the targets it chose. */
  sent: { rq: SipRequest; targets?: Flow[] }[];
  close(): void;
}

export function makeCore(opts: { required?: boolean; natTest?: RegistrarOptions['natTest']; md5UserAgents?: string[]; users?: string[]; answer?: number } = {}): Core {
  const tmp = makeTempDir();
  const store = open(tmp.dir);
  for (const u of opts.users ?? []) store.users.add(u, computeHa1(u, REALM, 'pw'), REALM);
  const log = silentLogger();
  const digest = new DigestAuthenticator({ realm: REALM, nonceTtlS: 60, algorithms: ['SHA-256', 'MD5'] });
  const gate = new AuthGate(!!opts.required, digest, store.users, log, { md5UserAgents: opts.md5UserAgents ?? [] });
  const registrar = new Registrar(
    { domain: 'localhost', localHosts: ['127.0.0.1'], minExpires: 60, maxExpires: 7200, defaultExpires: 3600, maxContactsPerUser: 10, natTest: opts.natTest ?? 'off' },
    { users: store.users, registrations: store.registrations, auth: gate, transaction: (fn) => store.withTransaction(fn), log },
  );
  const sent: Core['sent'] = [];
  const stack = {
    request: (rq: SipRequest, o: { targets?: Flow[] } = {}) => {
      sent.push({ rq, targets: o.targets });
      const rs: SipResponse = { status: opts.answer ?? 200, reason: 'OK', headers: { to: rq.headers.to, from: rq.headers.from, 'call-id': rq.headers['call-id'], cseq: rq.headers.cseq }, body: Buffer.alloc(0) };
      return Promise.resolve(rs);
    },
  } as unknown as SipStack;
  const router = new Router({ outboundProxy: '', userAgent: 'imedge-test' }, { stack: () => stack, registrar, auth: gate, log });
  return { tmp, store, registrar, router, gate, digest, sent, close: () => (store.close(), tmp.remove()) };
}

export interface Sent {
  req: IncomingRequest;
  answers: SipResponse[];
  final(): SipResponse;
}

/** A request as the stack would hand it over, from `flow`. */
export function request(
  spec: { method: string; uri: string; from: string; to: string; contact?: NameAddr[] | '*'; headers?: SipHeaders; vias?: number },
  flow: Flow = { protocol: 'UDP', address: '127.0.0.1', port: 40001 },
): Sent {
  const via = Array.from({ length: spec.vias ?? 1 }, (_, i) => ({ version: '2.0', protocol: flow.protocol, host: '127.0.0.1', port: flow.port + i, params: { branch: `z9hG4bK${i}x${Math.random()}` } }));
  const msg: SipRequest = {
    method: spec.method,
    uri: spec.uri,
    headers: {
      via,
      from: { uri: spec.from, params: { tag: 'f1' } },
      to: { uri: spec.to, params: {} },
      'call-id': `c${Math.random()}`,
      cseq: { seq: 1, method: spec.method },
      ...(spec.contact ? { contact: spec.contact } : {}),
      ...spec.headers,
    },
    body: Buffer.alloc(0),
  };
  const answers: SipResponse[] = [];
  const req = new IncomingRequest(msg, flow, (rs) => answers.push(rs));
  return {
    req,
    answers,
    final: () => {
      const f = answers.find((a) => a.status >= 200);
      if (!f) throw new Error(`no final answer to ${spec.method}`);
      return f;
    },
  };
}
