// Request routing of the local SIP/IP core: what the server answers itself (REGISTER,
// OPTIONS, UPDATE) and how requests for a user reach that user's registered contacts.
import type { Logger } from '../log';
import type { IncomingRequest, SipStack } from '../sip/stack';
import { newTag, parseSipUri, reasonFor } from '../sip/stack';
import type { Flow, NameAddr, SipHeaders, SipRequest, SipResponse } from '../sip/message/types';
import { headerText } from '../sip/message/types';
import { bestFinalResponse, branchAnswer, upstreamStatus } from '../sip/message/forking';
import { anonymizeHeaders, wantsAnonymity } from '../sip/message/privacy';
import { randomBytes } from 'node:crypto';
import type { Binding } from '../store';
import type { AuthGate } from './auth/gate';
import { ACCEPT_HEADER, ALLOW_EVENTS_HEADER, ALLOW_HEADER, ALLOWED_METHODS, KNOWN_NOT_ALLOWED, SUPPORTED_HEADER, unsupportedRequire } from './capabilities';
import type { Registrar } from './registrar';
import { targetsOf as reachTargets } from './reach';

export interface RouterOptions {
  /** Upstream proxy URI for requests to other domains; empty = such requests get 404. */
  outboundProxy: string;
  userAgent: string;
}

/** A handler for methods the IM functions own (INVITE, BYE, SUBSCRIBE...). */
export type MethodHandler = (req: IncomingRequest) => void | Promise<void>;

export interface AdmissionCheck {
  /** When set, new work is refused with 503 and this Retry-After. */
  refuseNew(): { retryAfterS: number; reason: string } | undefined;
}

const MAX_FORWARDS_DEFAULT = 70;
/** RFC 5393 5.3.3.2: the Max-Breadth a request without one is treated as having. */
const MAX_BREADTH_DEFAULT = 60;
const UAS_METHODS = new Set(['REGISTER', 'INVITE', 'BYE', 'SUBSCRIBE']);

export class Router {
  private readonly methods = new Map<string, MethodHandler>();

  constructor(
    private readonly opts: RouterOptions,
    private readonly deps: {
      stack: () => SipStack;
      registrar: Registrar;
      auth: AuthGate;
      log: Logger;
      admission?: AdmissionCheck;
    },
  ) {}

  /** Lets an IM function take over a method (e.g. INVITE for the participating function). */
  register(method: string, handler: MethodHandler): void {
    this.methods.set(method.toUpperCase(), handler);
  }

  handle = async (req: IncomingRequest): Promise<void> => {
    const method = req.msg.method;
    if (method === 'ACK') {
      const h = this.methods.get('ACK');
      if (h) await h(req);
      return;
    }
    // RFC 3261 16.3 step 2 / 8.2: Max-Forwards 0 on a request we would forward.
    const mf = headerText(req.msg, 'max-forwards');
    if (mf !== undefined && Number(mf) === 0 && method !== 'OPTIONS' && method !== 'REGISTER') {
      req.reply(483, 'Too Many Hops');
      return;
    }
    // RFC 3261 8.2.2.3: an extension the request requires and we lack is 420 + Unsupported,
    // where this server is the UAS (registrar, B2BUA, focus); as a proxy (MESSAGE, OPTIONS to
    // a user) it passes Require on untouched (16.6)
    if (UAS_METHODS.has(method)) {
      const missing = unsupportedRequire(headerText(req.msg, 'require'));
      if (missing.length > 0) {
        req.reply(420, 'Bad Extension', { headers: { unsupported: missing.join(', ') } });
        return;
      }
      // RFC 3261 8.2.3: as the UAS, a body in a Content-Encoding we cannot decode is 415 (attack finding: an INVITE's gzip body was read as SDP)
      const encoding = unknownEncoding(req);
      if (encoding) {
        req.reply(415, 'Unsupported Media Type', { headers: encoding });
        return;
      }
    }
    switch (method) {
      case 'REGISTER':
        if (this.refused(req)) return;
        return this.deps.registrar.handle(req);
      case 'OPTIONS':
        return this.options(req);
      case 'MESSAGE':
        return this.message(req);
      default:
        break;
    }
    // A new dialog (no To tag) is new work: refused under pressure; in-dialog requests go on.
    if ((method === 'INVITE' || method === 'SUBSCRIBE') && !req.msg.headers.to?.params.tag && this.refused(req)) return;
    const handler = this.methods.get(method);
    if (handler) return handler(req);
    if (KNOWN_NOT_ALLOWED.has(method)) {
      // OMA IM 7.1.1.5: UPDATE is not supported; modification is by re-INVITE only.
      req.reply(405, 'Method Not Allowed', { headers: { allow: ALLOW_HEADER } });
      return;
    }
    if ((ALLOWED_METHODS as readonly string[]).includes(method)) {
      // In Allow, but no function owns it for this target (e.g. BYE/CANCEL outside a dialog).
      req.reply(method === 'CANCEL' || method === 'BYE' ? 481 : 501);
      return;
    }
    req.reply(501, 'Not Implemented', { headers: { allow: ALLOW_HEADER } });
  };

  private refused(req: IncomingRequest): boolean {
    const verdict = this.deps.admission?.refuseNew();
    if (!verdict) return false;
    req.reply(503, `Service Unavailable (${verdict.reason})`, { headers: { 'retry-after': String(verdict.retryAfterS) } });
    return true;
  }

  /**
   * RFC 3261 11.2: OPTIONS to this server (no user part) is answered here with what it
   * supports; OPTIONS to a user is proxied like any other request to that user, so it gets
   * what an INVITE would get (407, 404, 480, or the user's own answer). RFC 3261 16.3 step 2:
   * one that may go no further (Max-Forwards: 0) is answered here too.
   */
  private options(req: IncomingRequest): void | Promise<void> {
    const ruri = parseSipUri(req.msg.uri);
    const mf = headerText(req.msg, 'max-forwards');
    if (ruri && (!ruri.user || (mf !== undefined && Number(mf) === 0))) {
      // RFC 3261 8.2.2.3 (RFC 4475 3.3.1): answered here, this server is the UAS, so a Require
      // it lacks is 420 as for any other request it answers (torture-set finding: was 200)
      const missing = unsupportedRequire(headerText(req.msg, 'require'));
      if (missing.length > 0) {
        req.reply(420, 'Bad Extension', { headers: { unsupported: missing.join(', ') } });
        return;
      }
      const refusal = unreadableBody(req);
      if (refusal) {
        req.reply(415, 'Unsupported Media Type', { headers: refusal });
        return;
      }
      req.reply(200, 'OK', { headers: { allow: ALLOW_HEADER, accept: ACCEPT_HEADER, supported: SUPPORTED_HEADER, 'allow-events': ALLOW_EVENTS_HEADER, ...this.serverHeader() } });
      return;
    }
    return this.proxied(req);
  }

  /** RFC 3261 20.35: a response this server makes itself names its software in Server, not User-Agent. */
  private serverHeader(): Record<string, string> {
    return this.opts.userAgent ? { server: this.opts.userAgent } : {};
  }

  /** Page-mode MESSAGE (RFC 3428): to every registered contact of the target. */
  private message(req: IncomingRequest): Promise<void> {
    return this.proxied(req);
  }

  /** A request for a user: authenticated as its From user, then to that user's contacts or upstream. */
  private async proxied(req: IncomingRequest): Promise<void> {
    // RFC 3261 16.3 step 5: a proxy refuses an extension named in Proxy-Require that it lacks (attack finding: was forwarded)
    const missing = unsupportedRequire(headerText(req.msg, 'proxy-require'));
    if (missing.length > 0) {
      req.reply(420, 'Bad Extension', { headers: { unsupported: missing.join(', ') } });
      return;
    }
    const authUser = this.deps.auth.check(req, this.deps.registrar.claimedUser(req.msg), 'proxy');
    if (authUser === undefined) return;
    const ruri = parseSipUri(req.msg.uri);
    if (!ruri) {
      req.reply(416, 'Unsupported URI Scheme');
      return;
    }
    if (!this.deps.registrar.isLocalHost(ruri.host)) return this.toUpstream(req);
    if (!ruri.user) {
      req.reply(404, 'Not Found');
      return;
    }
    return this.proxyToUser(req, ruri.user);
  }

  private async toUpstream(req: IncomingRequest): Promise<void> {
    if (!this.opts.outboundProxy) {
      req.reply(404, 'Not Found (domain not served here and no upstream proxy)');
      return;
    }
    const fwd = this.forwardable(req.msg, req.msg.uri);
    // RFC 3261 19.1.1: a loose route (;lr), or the Request-URI would be rewritten (strict routing).
    const proxy = /;lr(?=;|$)/i.test(this.opts.outboundProxy) ? this.opts.outboundProxy : `${this.opts.outboundProxy};lr`;
    fwd.headers.route = [{ uri: proxy, params: {} }];
    const rs = await this.deps.stack().request(fwd);
    this.relay(req, rs);
  }

  /** Forks to every binding in parallel; a 2xx wins at once, else the best final (RFC 3261 16.7). */
  async proxyToUser(req: IncomingRequest, user: string): Promise<void> {
    const bindings = this.deps.registrar.lookup(user);
    if (bindings.length === 0) {
      if (this.deps.registrar.isKnownUser(user)) req.reply(480, 'Temporarily Unavailable');
      else req.reply(404, 'Not Found');
      return;
    }
    // RFC 5393 5.3.3: parallel branches share the request's Max-Breadth (60 when absent); one
    // branch needs 1. Second limits re-attack (F1): two servers each holding contacts that name
    // the other forked a MESSAGE 2-3 ways at every hop, without end, until Max-Forwards' 70 hops;
    // with the breadth shared, at most 60 copies are under way at once, each chain ends at 70.
    const breadth = maxBreadth(req.msg);
    if (breadth < 1) {
      req.reply(440, 'Max-Breadth Exceeded');
      return;
    }
    const branches = bindings.slice(0, breadth);
    const perBranch = Math.floor(breadth / branches.length);
    const stack = this.deps.stack();
    let answered = false;
    const finals: SipResponse[] = [];
    // RFC 3323/3325 (OMA IM 7.1.1.12 step 3): one anonymous identity for every branch
    const anonymous = wantsAnonymity(headerText(req.msg, 'privacy')) ? { fromTag: newTag(), callId: `${randomBytes(10).toString('hex')}@imedge` } : undefined;
    await Promise.all(
      branches.map(async (b) => {
        const fwd = this.forwardable(req.msg, b.contact, anonymous);
        fwd.headers['max-breadth'] = String(perBranch);
        const rs = branchAnswer(await stack.request(fwd, { targets: targetsOf(b) }));
        finals.push(rs);
        if (!answered && rs.status >= 200 && rs.status < 300) {
          answered = true;
          this.relay(req, rs);
        }
      }),
    );
    if (!answered) {
      // RFC 3261 16.7 step 6: the best final response; a 503 goes upstream as 500
      const best = bestFinalResponse(finals) ?? finals[0];
      const status = upstreamStatus(best.status);
      this.relay(req, status === best.status ? best : { ...best, status, reason: reasonFor(status) });
    }
  }

  /**
   * Copy of a request for forwarding: new Request-URI, Max-Forwards decremented, Vias kept. An
   * anonymous sender's copy names nobody (privacy.ts): our From tag and Call-ID, none of its
   * Vias (our server transaction keeps the way back), no Contact or asserted identity.
   */
  private forwardable(msg: SipRequest, uri: string, anonymous?: { fromTag: string; callId: string }): SipRequest {
    const mf = Number(headerText(msg, 'max-forwards') ?? MAX_FORWARDS_DEFAULT);
    let headers: SipHeaders = { ...msg.headers, via: [...(msg.headers.via ?? [])], 'max-forwards': String(Math.max(0, mf - 1)) };
    delete headers['proxy-authorization'];
    // RFC 3325 5: identities asserted by a client are not trusted: a proxy at the edge of the
    // trust domain removes them (a user could otherwise claim to be anyone, attack finding)
    for (const h of ['p-asserted-identity', 'p-preferred-identity', 'remote-party-id']) delete headers[h];
    if (anonymous) headers = anonymizeHeaders(headers, anonymous.fromTag, anonymous.callId);
    return { method: msg.method, uri, headers, body: msg.body };
  }

  /** Sends a downstream answer upstream with the callee's To tag and its other headers. */
  private relay(req: IncomingRequest, rs: SipResponse): void {
    const skip = new Set(['via', 'to', 'from', 'call-id', 'cseq', 'content-length']);
    const headers: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rs.headers)) if (!skip.has(k) && v !== undefined) headers[k] = v;
    req.reply(rs.status, rs.reason || reasonFor(rs.status), { headers, body: rs.body, to: rs.headers.to as NameAddr | undefined });
  }
}

/**
 * Attack finding (F4): the requests this server answers itself at once and never forwards,
 * told from the request line alone (the stack asks before it opens a transaction): REGISTER
 * (RFC 3261 10.3), CANCEL (9.2: answered hop by hop) and OPTIONS to the server, no user part
 * (11.2). They may take the stack's reserve beyond sip.maxTransactions, so forwarded requests
 * waiting on a dead contact cannot lock them out.
 */
export function answeredLocally(method: string, uri: string): boolean {
  if (method === 'REGISTER' || method === 'CANCEL') return true;
  if (method !== 'OPTIONS') return false;
  const u = parseSipUri(uri);
  return u !== undefined && !u.user;
}

/** RFC 5393 5.3.3.2: the request's Max-Breadth, 60 when absent or unreadable, never above 60 here. */
export function maxBreadth(msg: SipRequest): number {
  const raw = headerText(msg, 'max-breadth')?.trim();
  if (raw === undefined || !/^\d{1,9}$/.test(raw)) return MAX_BREADTH_DEFAULT;
  return Math.min(Number(raw), MAX_BREADTH_DEFAULT);
}

/** The flows to try for a binding, in order (reach.ts: Contact, RFC 5626 flow, or NAT source). */
export function targetsOf(b: Binding): Flow[] {
  return reachTargets(b, parseSipUri);
}

/**
 * RFC 3261 8.2.3 (RFC 4475 3.3.6): a UAS MUST refuse with 415 a body whose type or encoding it
 * does not understand, saying what it accepts (torture-set finding: OPTIONS answered here took
 * any body). The library files the compact form "e" under contact-encoding: read both.
 */
function unreadableBody(req: IncomingRequest): Record<string, string> | undefined {
  if (req.msg.body.length === 0) return undefined;
  const encoding = unknownEncoding(req);
  if (encoding) return encoding;
  const type = headerText(req.msg, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  const accepted = ACCEPT_HEADER.split(',').map((t) => t.trim());
  if (type === undefined || !accepted.includes(type)) return { accept: ACCEPT_HEADER };
  return undefined;
}

/** RFC 3261 8.2.3: the Accept-Encoding refusal for a body in any encoding but identity, else undefined. */
function unknownEncoding(req: IncomingRequest): Record<string, string> | undefined {
  if (req.msg.body.length === 0) return undefined;
  const encoding = headerText(req.msg, 'content-encoding') ?? headerText(req.msg, 'contact-encoding');
  if (encoding !== undefined && encoding.split(',').some((e) => e.trim().toLowerCase() !== 'identity' && e.trim() !== '')) {
    return { 'accept-encoding': 'identity' };
  }
  return undefined;
}
