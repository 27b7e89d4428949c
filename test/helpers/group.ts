// Building the conference factory's INVITE body in tests (RFC 5366 4, OMA IM 7.1.1.6 steps 3-7)
// and reading what the focus delivers (CPIM, RFC 3862).
import { buildMultipart } from '../../src/sip/message/multipart';
import { serializeResourceLists } from '../../src/xml';
import { parseCpim } from '../../src/msrp/wire';
import type { ReceivedMessage } from '../../src/msrp/endpoint';
import { header, type WireMessage } from './sip-peer';

export const FACTORY = 'sip:conference-factory@localhost';

/** RawUa.invite's `wrap`: the SDP offer plus a recipient list, multipart/mixed. */
export function factoryBody(uris: readonly string[]) {
  return (offer: string) =>
    buildMultipart([
      { contentType: 'application/sdp', body: offer },
      { contentType: 'application/resource-lists+xml', headers: { 'Content-Disposition': 'recipient-list' }, body: serializeResourceLists(uris.map((uri) => ({ uri }))) },
    ]);
}

/** The IM Session Identity: the Contact URI of the focus's 200 (with ;isfocus). */
export function focusIdentity(rs: WireMessage): string {
  const c = header(rs, 'contact') ?? '';
  if (!/;isfocus\b/.test(c)) throw new Error(`no ;isfocus in Contact: ${c}`);
  return /<([^>]+)>/.exec(c)![1].replace(/;transport=\w+/, '');
}

export interface Delivered {
  readonly from: string;
  readonly contentType: string;
  readonly text: string;
}

/** A message the switch delivered: CPIM From and the inner body. */
export function delivered(m: ReceivedMessage): Delivered {
  if (m.contentType !== 'message/cpim') throw new Error(`not CPIM: ${m.contentType}`);
  const r = parseCpim(m.body);
  if (!r.ok) throw new Error(`bad CPIM: ${JSON.stringify(r)}`);
  const from = r.value.headers.find((h) => h.name.toLowerCase() === 'from');
  const ct = r.value.mimeHeaders.find((h) => h.name.toLowerCase() === 'content-type');
  return { from: from?.value ?? '', contentType: ct?.value ?? '', text: r.value.body.toString('utf8') };
}

export const until = async (pred: () => boolean, what: string, ms = 8000): Promise<void> => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`condition not met in time: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
