// Who may use this box: digest credentials checked when sent, and demanded when required
// (any listener off loopback). The registrar answers 401, a proxy 407 (RFC 3261 22.3).
import type { Logger } from '../../log';
import { ThrottledLog } from '../../log/throttled';
import type { IncomingRequest } from '../../sip/stack';
import type { UserRepository } from '../../store';
import { headerText } from '../../sip/message/types';
import type { DigestAlgorithm, DigestAuthenticator } from './digest';

export interface AuthGateOptions {
  /**
   * User-Agent prefixes (lower case) of clients that fail on any challenge offering SHA-256
   * (libre-based baresip, sipsak): they are challenged with MD5 alone, when MD5 is allowed.
   */
  md5UserAgents?: readonly string[];
}

export class AuthGate {
  private readonly md5UserAgents: readonly string[];
  /** Failed credentials are worth an operator's eye, but a peer sends them at will. */
  private readonly refusals: ThrottledLog;

  constructor(
    private readonly required: boolean,
    private readonly digest: DigestAuthenticator,
    private readonly users: UserRepository,
    private readonly log: Logger,
    opts: AuthGateOptions = {},
  ) {
    this.refusals = new ThrottledLog(log, 'info');
    this.md5UserAgents = (opts.md5UserAgents ?? []).map((p) => p.trim().toLowerCase()).filter((p) => p !== '');
  }

  /**
   * RFC 8760 2.4 lets the server choose what it offers. Offering a client only what it can
   * answer costs nothing here: MD5 answers are accepted from anyone while MD5 is configured,
   * and a client naming itself differently still gets the full list.
   */
  algorithmsFor(req: IncomingRequest): readonly DigestAlgorithm[] {
    const all = this.digest.algorithms;
    if (!all.includes('MD5') || this.md5UserAgents.length === 0) return all;
    const ua = headerText(req.msg, 'user-agent')?.trim().toLowerCase();
    return ua !== undefined && this.md5UserAgents.some((p) => ua.startsWith(p)) ? ['MD5'] : all;
  }

  get isRequired(): boolean {
    return this.required;
  }

  /**
   * The authenticated user, null when no credentials were needed or sent, or undefined
   * when a 401/407/403 has been sent and the caller must stop.
   */
  check(req: IncomingRequest, claimedUser: string | undefined, role: 'registrar' | 'proxy'): string | null | undefined {
    const values = role === 'registrar' ? req.msg.headers.authorization : req.msg.headers['proxy-authorization'];
    if (!this.required && (!values || values.length === 0)) return null;
    // Any configured algorithm is accepted; only the offer depends on the client.
    const verdict = this.digest.verify(values, req.msg.method, (u) => this.users.get(u)?.ha1);
    if (verdict.ok) {
      // RFC 3261 22.4: the authenticated identity must be the identity the request claims.
      if (claimedUser !== undefined && verdict.user !== claimedUser) {
        req.reply(403, 'Forbidden (credentials do not match the claimed user)');
        return undefined;
      }
      return verdict.user;
    }
    // an expired nonce or a repeated nonce-count: a fresh nonce, no new password prompt
    const stale = verdict.reason === 'stale' || verdict.reason === 'replayed';
    const fields = { reason: verdict.reason, method: req.msg.method, remote: req.flow.address };
    // attack finding: one info line per challenge was ~7 GB a day of journal per source. No
    // credentials yet is the first leg of every authenticated request (debug); the others
    // (wrong password, unknown user, replay...) at most one line a second, with the count held.
    if (verdict.reason === 'missing') this.log.debug(fields, 'digest challenge sent');
    else this.refusals.write(fields, 'digest challenge sent');
    const challenges = this.digest.challenges(stale, this.algorithmsFor(req));
    if (role === 'registrar') req.reply(401, 'Unauthorized', { headers: { 'www-authenticate': challenges } });
    else req.reply(407, 'Proxy Authentication Required', { headers: { 'proxy-authenticate': challenges } });
    return undefined;
  }
}
