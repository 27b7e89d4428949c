// Out-of-dialog SIP for the client: our identity and Contact, new requests, and sending
// with digest authentication (RFC 3261 22.2: 401 -> Authorization, 407 -> Proxy-Authorization).
import { randomBytes } from 'node:crypto';
import { answerChallenge, unquote } from '../sip/message/digest';
import type { AuthValue, Flow, NameAddr, SipRequest, SipResponse } from '../sip/message/types';
import { headerText } from '../sip/message/types';
import { newTag, type SipStack } from '../sip/stack';
import { SipStatusError } from './errors';

export interface ServerAddress {
  readonly host: string;
  readonly port: number;
  readonly transport: 'UDP' | 'TCP';
}

export interface UaIdentity {
  readonly user: string;
  readonly domain: string;
  readonly password?: string;
  /** The next hop for every request we originate: the server, or a peer client in tests. */
  server: ServerAddress;
}

export interface NewRequestOptions {
  readonly callId?: string;
  readonly seq?: number;
  readonly fromTag?: string;
  readonly headers?: Record<string, unknown>;
  readonly body?: Buffer;
  readonly contentType?: string;
}

/** At most this many challenges are answered for one request (a second one may be stale=true). */
const MAX_CHALLENGES = 2;

export class SipUa {
  constructor(
    readonly stack: SipStack,
    readonly id: UaIdentity,
  ) {}

  get aor(): string {
    return `sip:${this.id.user}@${this.id.domain}`;
  }

  /** Our Contact: where requests for us (and in-dialog requests) reach this stack. */
  contact(): NameAddr {
    const host = this.stack.host.includes(':') ? `[${this.stack.host}]` : this.stack.host;
    const transport = this.id.server.transport === 'TCP' ? ';transport=tcp' : '';
    return { uri: `sip:${this.id.user}@${host}:${this.stack.port}${transport}`, params: {} };
  }

  serverFlow(): Flow {
    return { protocol: this.id.server.transport, address: this.id.server.host, port: this.id.server.port };
  }

  /** "bob" -> sip:bob@<domain>; "bob@x" -> sip:bob@x; a sip:/sips: URI is kept. */
  peerUri(peer: string): string {
    if (/^sips?:/i.test(peer)) return peer;
    return peer.includes('@') ? `sip:${peer}` : `sip:${peer}@${this.id.domain}`;
  }

  newRequest(method: string, uri: string, to: NameAddr, opts: NewRequestOptions = {}): SipRequest {
    const body = opts.body ?? Buffer.alloc(0);
    return {
      method,
      uri,
      headers: {
        via: [],
        'max-forwards': '70',
        from: { uri: this.aor, params: { tag: opts.fromTag ?? newTag() } },
        to,
        'call-id': opts.callId ?? `${randomBytes(10).toString('hex')}@${this.stack.host}`,
        cseq: { seq: opts.seq ?? 1, method },
        contact: [this.contact()],
        ...(body.length && opts.contentType ? { 'content-type': opts.contentType } : {}),
        ...opts.headers,
      },
      body,
    };
  }

  /**
   * Sends a request to the server (or the given flows) and answers up to two digest
   * challenges. Resolves with the request that got the final answer (its CSeq advanced
   * on each retry, RFC 3261 22.2) and that answer; failures are answers, not throws.
   */
  async send(
    req: SipRequest,
    opts: { onResponse?: (rs: SipResponse) => void; targets?: Flow[] } = {},
  ): Promise<{ req: SipRequest; rs: SipResponse }> {
    let current = req;
    for (let round = 0; ; round++) {
      const rs = await this.stack.request(current, {
        targets: opts.targets ?? [this.serverFlow()],
        ...(opts.onResponse ? { onResponse: opts.onResponse } : {}),
      });
      if ((rs.status !== 401 && rs.status !== 407) || round >= MAX_CHALLENGES || this.id.password === undefined) {
        return { req: current, rs };
      }
      const retry = this.withCredentials(current, rs);
      if (retry === undefined) return { req: current, rs };
      current = retry;
    }
  }

  /** Same as send, but a final failure throws SipStatusError. */
  async sendOk(req: SipRequest, opts: { onResponse?: (rs: SipResponse) => void; targets?: Flow[] } = {}): Promise<{ req: SipRequest; rs: SipResponse }> {
    const r = await this.send(req, opts);
    if (r.rs.status >= 300) throw statusError(req.method, r.rs);
    return r;
  }

  private withCredentials(req: SipRequest, rs: SipResponse): SipRequest | undefined {
    const proxy = rs.status === 407;
    const challenges = (proxy ? rs.headers['proxy-authenticate'] : rs.headers['www-authenticate']) ?? [];
    const digest = challenges.filter((c) => c.scheme?.toLowerCase() === 'digest');
    // RFC 8760 2.4: the server lists its preferred algorithm first; take the first we know
    const challenge =
      digest.find((c) => ['SHA-256', 'MD5', undefined].includes(unquote(c.algorithm)?.toUpperCase())) ?? undefined;
    if (challenge === undefined || this.id.password === undefined) return undefined;
    const answer: AuthValue = answerChallenge(challenge, { user: this.id.user, password: this.id.password }, req.method, req.uri);
    const name = proxy ? 'proxy-authorization' : 'authorization';
    const seq = (req.headers.cseq?.seq ?? 1) + 1;
    return {
      ...req,
      headers: { ...req.headers, via: [], cseq: { seq, method: req.method }, [name]: [answer] },
    };
  }
}

export function statusError(method: string, rs: SipResponse): SipStatusError {
  return new SipStatusError(method, rs.status, rs.reason, headerText(rs, 'warning'));
}
