import { MsrpEndpoint, type ReceivedMessage, type ReceivedReport } from '../../../src/msrp/endpoint';
import { MsrpNet, type MsrpNetOptions } from '../../../src/msrp/net';
import { MsrpSwitch, type MsrpSwitchOptions, type SwitchEvent, type SwitchIdentity } from '../../../src/msrp/switch';
import { cpimHeaderValues, parseCpim, parseCpimAddress, type CpimMessage } from '../../../src/msrp/wire';

export const CONFERENCE_URI = 'sip:conf-1@imedge.test';

/** One participant: an imedge endpoint (RFC 6135 active) bound to its own switch session. */
export interface Member {
  readonly id: string;
  readonly uri: string;
  readonly identity: SwitchIdentity;
  readonly ep: MsrpEndpoint;
  readonly received: ReceivedMessage[];
  readonly reports: ReceivedReport[];
}

export interface SwitchRig {
  readonly sw: MsrpSwitch;
  readonly net: MsrpNet;
  readonly client: MsrpNet;
  readonly members: Member[];
  readonly events: SwitchEvent[];
  add(identity?: SwitchIdentity, id?: string): Promise<Member>;
  close(): Promise<void>;
}

export interface RigOptions {
  readonly switchNet?: Partial<MsrpNetOptions>;
  readonly switchOpts?: Partial<MsrpSwitchOptions>;
  readonly client?: Partial<MsrpNetOptions>;
}

/** A switch on loopback port 0 with n endpoint participants, identities sip:user<i>@imedge.test. */
export async function switchRig(n: number, o: RigOptions = {}): Promise<SwitchRig> {
  const net = new MsrpNet(o.switchNet ?? {});
  await net.listen('127.0.0.1', 0);
  const events: SwitchEvent[] = [];
  const sw = new MsrpSwitch(net, { conference: { uri: CONFERENCE_URI }, ...o.switchOpts }, { onEvent: (e) => events.push(e) });
  const client = new MsrpNet(o.client ?? {});
  const members: Member[] = [];
  let seq = 0;
  const add = async (identity?: SwitchIdentity, id?: string): Promise<Member> => {
    const i = seq++;
    const pid = id ?? `p${i}`;
    const ident: SwitchIdentity = identity ?? { name: `User ${i}`, uri: `sip:user${i}@imedge.test` };
    const uri = `msrp://127.0.0.1:9/${client.newSessionId()};tcp`;
    const local = sw.addParticipant({ id: pid, remotePath: [uri], identity: ident });
    const received: ReceivedMessage[] = [];
    const reports: ReceivedReport[] = [];
    const ep = new MsrpEndpoint(
      client,
      { localUri: uri, remotePath: [local], setup: 'active' },
      { onMessage: (m) => received.push(m), onReport: (r) => reports.push(r) },
    );
    await ep.connect();
    const m: Member = { id: pid, uri, identity: ident, ep, received, reports };
    members.push(m);
    return m;
  };
  for (let i = 0; i < n; i++) await add();
  return {
    sw,
    net,
    client,
    members,
    events,
    add,
    async close() {
      sw.close();
      await client.close();
      await net.close();
    },
  };
}

/** A received message's CPIM envelope, parsed (throws when it is not valid message/cpim). */
export function cpimOf(m: ReceivedMessage): CpimMessage {
  if (m.contentType !== 'message/cpim') throw new Error(`not message/cpim: ${m.contentType}`);
  const r = parseCpim(m.body);
  if (!r.ok) throw new Error(`bad CPIM: ${r.error.message}`);
  return r.value;
}

/** The URI in the CPIM From of a received message. */
export function senderOf(m: ReceivedMessage): string {
  const from = cpimHeaderValues(cpimOf(m).headers, 'From');
  if (from.length !== 1) throw new Error(`${from.length} From headers`);
  const a = parseCpimAddress(from[0]);
  if (a === undefined) throw new Error(`bad From: ${from[0]}`);
  return a.uri;
}

export function textOf(m: ReceivedMessage): string {
  return cpimOf(m).body.toString('utf8');
}

export function uriOf(member: Member): string {
  return member.identity === 'anonymous' ? 'sip:anonymous@anonymous.invalid' : member.identity.uri;
}
