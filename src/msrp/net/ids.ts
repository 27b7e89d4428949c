import { randomBytes } from 'node:crypto';

/**
 * Transaction ids for requests this side originates (RFC 4975 section 7.1: unique within the
 * session; only session-ids must be unguessable, section 14.1). A random prefix per instance
 * and a counter: no entropy drawn per request.
 */
export class TransactionIds {
  // hex keeps the id inside the ident grammar (section 9): ALPHANUM first, no "_"
  private readonly prefix = randomBytes(5).toString('hex');
  private count = 0;

  next(): string {
    return `${this.prefix}${(this.count++).toString(36)}`;
  }
}
