// Building the conference factory's INVITE body in tests (RFC 5366 4, OMA IM 7.1.1.6 steps 3-7)
// and reading what the focus delivers (CPIM, RFC 3862).
import { buildMultipart } from '../../src/sip/message/multipart';
import { serializeResourceLists } from '../../src/xml';
import { parseCpim } from '../../src/msrp/wire';
import type { ReceivedMessage } from '../../src/msrp/endpoint';
import { header, type WireMessage } from './sip-peer';
import { RawMsrpPeer } from './msrp-peer';
import { sdpPath, type RawUa } from './raw-ua';
import { scaled } from './node-exe';

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

/**
 * Joins a running session by its IM Session Identity (OMA IM 7.2.1.5): SIP from `ua`, MSRP from
 * a raw socket the test controls (it dials the focus, which answers a=setup:actpass passive).
 */
export async function joinWithRawMsrp(ua: RawUa, identity: string, opts: { anonymous?: boolean } = {}): Promise<{ rs: WireMessage; msrp: RawMsrpPeer }> {
  const uri = RawMsrpPeer.newUri();
  const rs = await ua.invite('x', { requestUri: identity, msrpUri: uri, noConnect: true, ...opts });
  if (rs.status !== 200) throw new Error(`join ${identity}: ${rs.status}`);
  const msrp = await RawMsrpPeer.dial(sdpPath(rs.body)[0]!, uri);
  return { rs, msrp };
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

/** Polls pred; `ms` bounds a hung test only and is scaled by TEST_TIME_SCALE (emulation). */
export const until = async (pred: () => boolean, what: string, ms = 8000): Promise<void> => {
  const end = Date.now() + scaled(ms);
  while (!pred()) {
    if (Date.now() > end) throw new Error(`condition not met in time: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

export interface GroupSpec {
  readonly id: string;
  readonly members: readonly string[];
  readonly inviteMembers?: boolean;
  readonly max?: number;
  /** actions of the rule for list members */
  readonly join?: 'allow' | 'block';
  readonly anonymity?: boolean;
  readonly initiate?: boolean;
  readonly autoRelease?: boolean;
  readonly sessionMaxLength?: number;
  readonly remaining?: 0 | 1;
}

/** An OMA group document (DESIGN fixed point) for sip:<id>@localhost. */
export function groupXml(g: GroupSpec): string {
  const entries = g.members.map((m) => `      <entry uri="sip:${m}@localhost"/>`).join('\n');
  const opt = (name: string, v: unknown) => (v === undefined ? '' : `    <${name}>${String(v)}</${name}>\n`);
  return `<?xml version="1.0" encoding="UTF-8"?>
<group xmlns="urn:oma:xml:xdm:group" xmlns:cr="urn:ietf:params:xml:ns:common-policy">
  <list-service uri="sip:${g.id}@localhost">
    <list>
${entries}
    </list>
${opt('invite-members', g.inviteMembers)}${opt('max-participant-count', g.max)}    <cr:ruleset>
      <cr:rule id="members">
        <cr:conditions><is-list-member/></cr:conditions>
        <cr:actions>
          <join-handling>${g.join ?? 'allow'}</join-handling>
          <allow-anonymity>${String(g.anonymity ?? false)}</allow-anonymity>
          <allow-initiate-conference>${String(g.initiate ?? true)}</allow-initiate-conference>
          <allow-conference-state>true</allow-conference-state>
        </cr:actions>
      </cr:rule>
    </cr:ruleset>
${opt('auto-release', g.autoRelease)}${opt('session-max-length', g.sessionMaxLength)}${opt('number-of-remaining-participants', g.remaining)}  </list-service>
</group>
`;
}

/** PUT /groups/<id> on the admin port. */
export async function putGroup(httpPort: number, g: GroupSpec): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/groups/${g.id}`, { method: 'PUT', headers: { 'content-type': 'application/xml' }, body: groupXml(g) });
  await res.text();
  return res.status;
}

export async function deleteGroup(httpPort: number, id: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/groups/${id}`, { method: 'DELETE' });
  await res.text();
  return res.status;
}

export interface Subscribed {
  readonly rs: import('./sip-peer').WireMessage;
  readonly callId: string;
  readonly fromTag: string;
  /** the focus's tag, once answered */
  readonly toTag: string;
  cseq: number;
}

/** SUBSCRIBE (RFC 6665) from a RawUa's SIP peer to a conference identity. */
export async function subscribe(
  ua: { user: string; peer: import('./sip-peer').SipPeer },
  target: string,
  opts: { expires?: number; event?: string; accept?: string; dialog?: Subscribed } = {},
): Promise<Subscribed> {
  const d = opts.dialog;
  const callId = d?.callId ?? `${Math.random().toString(16).slice(2)}@test`;
  const fromTag = d?.fromTag ?? Math.random().toString(16).slice(2, 10);
  const cseq = d !== undefined ? ++d.cseq : 1;
  const lines = [
    `SUBSCRIBE ${target} SIP/2.0`,
    `Via: SIP/2.0/${ua.peer.transport} 127.0.0.1:${ua.peer.port};branch=z9hG4bK${Math.random().toString(16).slice(2)};rport`,
    'Max-Forwards: 70',
    `From: <sip:${ua.user}@localhost>;tag=${fromTag}`,
    `To: <${target}>${d !== undefined ? `;tag=${d.toTag}` : ''}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} SUBSCRIBE`,
    `Contact: <${ua.peer.contactUri}>`,
    `Event: ${opts.event ?? 'conference'}`,
    ...(opts.expires !== undefined ? [`Expires: ${opts.expires}`] : []),
    ...(opts.accept !== undefined ? [`Accept: ${opts.accept}`] : []),
    'Content-Length: 0',
    '',
    '',
  ];
  const rs = await ua.peer.requestRaw(Buffer.from(lines.join('\r\n')), `${callId}|${cseq} SUBSCRIBE`, 8000);
  const toTag = d?.toTag ?? /tag=([^;>\s]+)/.exec(header(rs, 'to') ?? '')?.[1] ?? '';
  return { rs, callId, fromTag, toTag, cseq };
}
