// Registrar of the local SIP/IP core (RFC 3261 10.3): bindings in SQLite, Expires handling,
// several contacts per user, "*" removal, digest authentication when required.
import type { Logger } from '../log';
import type { IncomingRequest } from '../sip/stack';
import { parseSipUri } from '../sip/stack';
import type { NameAddr, SipRequest } from '../sip/message/types';
import { headerText } from '../sip/message/types';
import type { Binding, BindingReach, RegistrationRepository, UserRepository } from '../store';
import { MAX_BINDING_TEXT } from '../store';
import type { AuthGate } from './auth/gate';
import { contactTarget, decideReach, type NatTest } from './reach';

export interface RegistrarOptions {
  domain: string;
  /** Extra host names this box answers for (its bind address). */
  localHosts: readonly string[];
  minExpires: number;
  maxExpires: number;
  defaultExpires: number;
  maxContactsPerUser: number;
  /** When the REGISTER's source address is used instead of the Contact (see reach.ts). */
  natTest: NatTest;
}

export interface RegistrarDeps {
  users: UserRepository;
  registrations: RegistrationRepository;
  auth: AuthGate;
  /**
   * Runs the binding updates of one REGISTER atomically. A promise (Store.grouped) means the
   * updates ride in the store's group commit: the 200 waits for that commit, so what was
   * acknowledged is durable, and a burst of refreshes costs one fsync per batch window instead
   * of one each on the event loop. A plain call (Store.withTransaction) commits at once.
   */
  transaction: (fn: () => void) => void | Promise<void>;
  log: Logger;
  now?: () => number;
  /** Called after bindings of a user changed (for metrics / subscribers). */
  onChange?: (user: string) => void;
  /**
   * Addresses this box serves itself (the conference factory, IM Session Identities, groups):
   * nobody may register them, or requests for the group would reach the registrant.
   */
  reserved?: (user: string) => boolean;
}

const MAX_EXPIRES_DIGITS = /^\d{1,10}$/;

export class Registrar {
  private readonly now: () => number;
  private replacedCount = 0;

  constructor(private readonly opts: RegistrarOptions, private readonly deps: RegistrarDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** True when the host names this box's domain (or its own address). */
  isLocalHost(host: string): boolean {
    const h = host.toLowerCase();
    return h === this.opts.domain.toLowerCase() || this.opts.localHosts.includes(h);
  }

  /** The user a request claims to be (its From), when From names this domain; else undefined. */
  claimedUser(msg: SipRequest): string | undefined {
    const from = msg.headers.from ? parseSipUri(msg.headers.from.uri) : undefined;
    return from?.user !== undefined && from.user !== '' && this.isLocalHost(from.host) ? from.user : undefined;
  }

  /** Answers a REGISTER; the promise (when the store commits in groups) settles after the answer. */
  handle(req: IncomingRequest): void | Promise<void> {
    const msg = req.msg;
    // RFC 3261 10.3 step 1: the Request-URI names the domain of this registrar.
    const ruri = parseSipUri(msg.uri);
    if (!ruri || !this.isLocalHost(ruri.host)) {
      req.reply(404, 'Not Found (domain not served here)');
      return;
    }
    // 10.3 step 5: the address-of-record in To, which must be in our domain.
    const to = msg.headers.to ? parseSipUri(msg.headers.to.uri) : undefined;
    if (!to || !to.user || !this.isLocalHost(to.host)) {
      req.reply(404, 'Not Found (address-of-record not in this domain)');
      return;
    }
    const user = to.user;
    // 10.3 step 3 (the registrar decides what it accepts): a name the server itself answers for
    if (this.deps.reserved?.(user)) {
      req.reply(403, 'Forbidden (this address belongs to a service of this server)');
      return;
    }
    // 10.3 step 4: authentication; the authenticated user must own the AoR.
    const authUser = this.deps.auth.check(req, user, 'registrar');
    if (authUser === undefined) return;

    const headerExpires = headerText(msg, 'expires');
    if (headerExpires !== undefined && !MAX_EXPIRES_DIGITS.test(headerExpires.trim())) {
      req.reply(400, 'Bad Request (Expires)');
      return;
    }
    const callId = msg.headers['call-id'] ?? '';
    const cseq = msg.headers.cseq?.seq ?? 0;
    const now = this.now();
    const contacts = msg.headers.contact;

    if (contacts === '*') {
      // 10.3 step 6: "*" only with Expires: 0.
      if (headerExpires === undefined || Number(headerExpires) !== 0) {
        req.reply(400, 'Bad Request (Contact * needs Expires: 0)');
        return;
      }
      return this.afterCommit(
        this.deps.transaction(() => this.deps.registrations.removeAll(user)),
        () => {
          this.changed(user);
          this.replyBindings(req, user, now);
        },
      );
    }

    // Attack finding (second limits attack, F7): a 5,000-character Call-ID reached the store,
    // which refuses it, and the REGISTER got 500. What the store cannot keep is refused here.
    if (callId.length > MAX_BINDING_TEXT) {
      req.reply(400, `Bad Request (Call-ID longer than ${MAX_BINDING_TEXT} characters)`);
      return;
    }
    const list: NameAddr[] = Array.isArray(contacts) ? contacts : [];
    const updates: { contact: string; expires: number; q: number | null; instanceId?: string; regId?: number; reach?: BindingReach }[] = [];
    // RFC 5626 6: outbound applies only where this box is the first hop, i.e. one Via.
    const firstHop = (msg.headers.via?.length ?? 0) === 1;
    for (const c of list) {
      const curi = parseSipUri(c.uri);
      if (!curi) {
        req.reply(400, 'Bad Request (Contact URI)');
        return;
      }
      if (c.uri.length > MAX_BINDING_TEXT || String(c.params['+sip.instance'] ?? '').length > MAX_BINDING_TEXT) {
        req.reply(400, `Bad Request (Contact longer than ${MAX_BINDING_TEXT} characters)`);
        return;
      }
      const pExp = c.params.expires;
      const raw = pExp ?? headerExpires;
      if (raw !== undefined && raw !== null && !MAX_EXPIRES_DIGITS.test(String(raw).trim())) {
        req.reply(400, 'Bad Request (Contact expires)');
        return;
      }
      let expires = raw === undefined || raw === null ? this.opts.defaultExpires : Number(raw);
      // 10.3 step 7: too brief (but not zero) -> 423 with Min-Expires.
      if (expires > 0 && expires < this.opts.minExpires) {
        req.reply(423, 'Interval Too Brief', { headers: { 'min-expires': String(this.opts.minExpires) } });
        return;
      }
      expires = Math.min(expires, this.opts.maxExpires);
      const qRaw = c.params.q;
      const q = qRaw === undefined || qRaw === null ? null : Number(qRaw);
      if (q !== null && !(q >= 0 && q <= 1)) {
        req.reply(400, 'Bad Request (q)');
        return;
      }
      const instanceId = c.params['+sip.instance'] ?? undefined;
      const regIdRaw = c.params['reg-id'];
      const regId = regIdRaw && /^\d{1,9}$/.test(regIdRaw) && Number(regIdRaw) > 0 ? Number(regIdRaw) : undefined;
      // RFC 5626 6: a Contact with both +sip.instance and reg-id asks for the flow to be kept.
      const outbound = firstHop && instanceId !== undefined && regId !== undefined;
      const reach = decideReach({ outbound, natTest: this.opts.natTest, contact: contactTarget(curi), source: req.flow });
      updates.push({ contact: c.uri, expires, q, instanceId, regId, reach });
    }

    // One REGISTER asking for more new contacts than the limit cannot fit, whatever is replaced.
    if (new Set(updates.filter((u) => u.expires > 0).map((u) => u.contact)).size > this.opts.maxContactsPerUser) {
      this.deps.log.warn({ user, limit: this.opts.maxContactsPerUser }, 'registration refused: more contacts in one REGISTER than allowed per user');
      req.reply(403, `Forbidden (at most ${this.opts.maxContactsPerUser} contacts per user)`);
      return;
    }
    const repo = this.deps.registrations;
    const replaced: string[] = [];
    const committed = this.deps.transaction(() => {
      for (const u of updates) {
        const existing = repo.get(user, u.contact);
        // 10.3 step 7: same Call-ID with an older or equal CSeq is out of order: ignored.
        if (existing && existing.callId === callId && existing.cseq >= cseq && existing.expiresAt > now) continue;
        if (u.expires === 0) {
          repo.remove(user, u.contact);
          continue;
        }
        // RFC 5626 6: a new flow of the same instance and reg-id replaces the old binding.
        if (u.reach === 'outbound') {
          for (const old of repo.listFor(user, now)) {
            if (old.contact !== u.contact && old.instanceId === u.instanceId && old.regId === u.regId) repo.remove(user, old.contact);
          }
        }
        // RFC 3261 10.3 leaves the number of bindings per AOR to local policy, and bindings are
        // soft state (10.2.1). Attack finding (F11): refusing the one over the limit (403) locked a
        // phone that changed address out until its stale bindings expired. The new binding is
        // taken and the one that expires soonest goes: among equal intervals the least recently
        // refreshed, so the one most likely dead (a live phone refreshes before expiry, 10.2.4).
        if (!(existing && existing.expiresAt > now) && repo.countFor(user, now) >= this.opts.maxContactsPerUser) {
          const victim = repo.soonestExpiring(user, now);
          if (victim) {
            repo.remove(user, victim.contact);
            replaced.push(victim.contact);
          }
        }
        const binding: Binding = {
          user,
          contact: u.contact,
          expiresAt: now + u.expires * 1000,
          callId,
          cseq,
          q: u.q,
          received: { protocol: req.flow.protocol, address: req.flow.address, port: req.flow.port },
          instanceId: u.instanceId,
          regId: u.regId,
          reach: u.reach,
        };
        repo.upsert(binding);
      }
    });
    return this.afterCommit(committed, () => {
      if (replaced.length) {
        this.replacedCount += replaced.length;
        this.deps.log.info({ user, limit: this.opts.maxContactsPerUser, replaced: replaced.length }, 'contacts per user at the limit: the soonest-expiring binding replaced');
      }
      if (updates.length) this.changed(user);
      // RFC 5626 6: the registrar tells the client that outbound is in use.
      const outbound = updates.some((u) => u.reach === 'outbound' && u.expires > 0);
      this.replyBindings(req, user, now, outbound ? { require: 'outbound' } : {});
    });
  }

  /**
   * Runs `then` once the write is committed: at once for a synchronous transaction, after the
   * group commit otherwise. A failed commit rejects to the caller (the server answers 503 when
   * the disk is full), and nothing was acknowledged.
   */
  private afterCommit(committed: void | Promise<void>, then: () => void): void | Promise<void> {
    if (committed instanceof Promise) return committed.then(then);
    then();
  }

  /** Bindings removed to make room for a new one at registrar.maxContactsPerUser (metrics). */
  contactsReplaced(): number {
    return this.replacedCount;
  }

  private changed(user: string): void {
    this.deps.onChange?.(user);
  }

  /** 10.3 step 8: 200 OK listing every current binding with its remaining expires. */
  private replyBindings(req: IncomingRequest, user: string, now: number, extra: Record<string, string> = {}): void {
    const bindings = this.deps.registrations.listFor(user, now);
    const contact: NameAddr[] = bindings.map((b) => ({
      uri: b.contact,
      params: { expires: String(Math.max(0, Math.round((b.expiresAt - now) / 1000))) },
    }));
    req.reply(200, 'OK', {
      headers: { ...(contact.length ? { contact } : {}), date: new Date(now).toUTCString(), ...extra },
    });
  }

  /** Timer: removes expired bindings in bounded batches. */
  sweep(): number {
    const removed = this.deps.registrations.expire(this.now());
    const users = new Set(removed.map((b) => b.user));
    users.forEach((u) => this.changed(u));
    if (removed.length) this.deps.log.debug({ removed: removed.length }, 'expired registrations removed');
    return removed.length;
  }

  /** Current bindings of a user, best q first. */
  lookup(user: string): Binding[] {
    return this.deps.registrations.listFor(user, this.now());
  }

  /** Known = provisioned with `imedge user add`, or currently registered. */
  isKnownUser(user: string): boolean {
    return !!this.deps.users.get(user) || this.lookup(user).length > 0;
  }
}
