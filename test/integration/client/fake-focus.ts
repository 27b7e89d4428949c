// A hand-built conference focus for client tests, following the wire contract of the imedge
// controlling IM function: the conference factory (multipart SDP + URI list, Require:
// recipient-list-invite), pre-defined group URIs, rejoin by the IM Session Identity, a 200 whose
// Contact is `<sip:conf-N@host:port;transport=tcp>;isfocus`, messages fanned out wrapped in CPIM
// with the sender in From, invitees reached by INVITE (with Replaces where the URI list says so).
// Built from the raw SIP stack and MSRP endpoint, never from the client library it tests.
import { silentLogger } from '../../../src/log';
import { MsrpEndpoint } from '../../../src/msrp/endpoint';
import { MsrpNet } from '../../../src/msrp/net';
import { CPIM_ANONYMOUS_URI, encodeCpim, formatCpimAddress, formatCpimDateTime, parseCpim, cpimHeaderValues } from '../../../src/msrp/wire';
import { buildMsrpSdp, findMsrpMedia, parseSdp } from '../../../src/sdp';
import { parseMultipart } from '../../../src/sip/message/multipart';
import { formatReplaces, splitUriHeaders, parseReplaces, type ReplacesTarget } from '../../../src/sip/message/replaces';
import { headerText, type SipRequest, type SipResponse } from '../../../src/sip/message/types';
import { SipStack, newTag, type IncomingRequest } from '../../../src/sip/stack';
import { parseResourceLists } from '../../../src/xml';

export interface Participant {
  readonly conf: Conference;
  /** The participant's AOR (From of its INVITE, or the URI we invited). */
  readonly aor: string;
  readonly anonymous: boolean;
  readonly callId: string;
  /** Our tag and theirs. */
  readonly localTag: string;
  readonly remoteTag: string;
  /** Where in-dialog requests for it go. */
  readonly port: number;
  readonly protocol: 'UDP' | 'TCP';
  /** We invited it (UAC) or it invited us (UAS). */
  readonly role: 'uac' | 'uas';
  endpoint?: MsrpEndpoint;
  seq: number;
  gone: boolean;
}

export interface Conference {
  readonly id: string;
  /** The IM Session Identity: the focus Contact URI. */
  readonly identity: string;
  readonly participants: Participant[];
  /** Payloads the focus received, with their sender. */
  readonly received: { from: string; contentType: string; body: Buffer }[];
}

export interface FakeFocus {
  readonly stack: SipStack;
  readonly net: MsrpNet;
  readonly port: number;
  readonly requests: SipRequest[];
  readonly conferences: Map<string, Conference>;
  /** Answers of the INVITEs the focus sent to invitees, by invited URI (without headers). */
  readonly inviteAnswers: Map<string, SipResponse>;
  /** Where users are reached (a tiny location service): user name -> SIP port on 127.0.0.1. */
  readonly users: Map<string, number>;
  /** Refuse the next factory INVITE with this status and Warning text. */
  refuseFactory?: { status: number; warning: string };
  /** Pre-defined group ids served. */
  readonly groups: Set<string>;
  /**
   * Users the focus answers itself as a plain 1-1 peer (no ;isfocus), standing in for the
   * server's participating function: a factory INVITE whose Replaces names such a dialog gets
   * that dialog BYEd after its 200, as the contract has the server do.
   */
  readonly peers: Set<string>;
  /** Sends a payload to every participant of a conference but `except`, wrapped in CPIM from `from`. */
  fanOut(conf: Conference, from: { uri: string; name?: string }, body: string, except?: Participant): Promise<number[]>;
  /** BYE to a participant (OMA IM 7.2.1.9). */
  bye(p: Participant): Promise<number>;
  /** A raw INVITE (with Replaces) to a user, as the focus inviting the original peer does. */
  invite(user: string, opts: { replaces?: Omit<ReplacesTarget, 'earlyOnly'> & { earlyOnly?: boolean }; conf?: Conference; require?: string }): Promise<SipResponse>;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

export async function fakeFocus(transport: 'UDP' | 'TCP' = 'UDP'): Promise<FakeFocus> {
  const net = new MsrpNet();
  await net.listen(HOST, 0);
  const requests: SipRequest[] = [];
  const conferences = new Map<string, Conference>();
  const inviteAnswers = new Map<string, SipResponse>();
  const users = new Map<string, number>();
  const groups = new Set<string>();
  const peers = new Set<string>();
  let confSeq = 0;
  let focus: FakeFocus;

  const userOf = (uri: string): string => /^sips?:([^@;?]+)@/.exec(uri)?.[1] ?? '';

  function newConference(id = `conf-${++confSeq}`): Conference {
    const conf: Conference = { id, identity: `sip:${id}@${HOST}:${stack.port};transport=tcp`, participants: [], received: [] };
    conferences.set(id, conf);
    return conf;
  }

  const contactOf = (conf: Conference) => [{ uri: conf.identity, params: { isfocus: null } }];

  function answerSdp(local: string): string {
    return buildMsrpSdp({
      origin: { username: '-', sessionId: 7, version: 1, address: HOST },
      address: HOST, port: net.address!.port, proto: 'TCP/MSRP', acceptTypes: ['message/cpim', 'text/plain'], path: [local], setup: 'passive',
    });
  }

  function onMessage(p: Participant, contentType: string, body: Buffer): void {
    p.conf.received.push({ from: p.aor, contentType, body });
    let inner = body.toString('utf8');
    if (contentType === 'message/cpim') {
      const c = parseCpim(body);
      if (c.ok) inner = c.value.body.toString('utf8');
    }
    const from = p.anonymous ? { name: 'Anonymous', uri: CPIM_ANONYMOUS_URI } : { uri: p.aor };
    void focus.fanOut(p.conf, from, inner, p).catch(() => undefined);
  }

  function join(req: IncomingRequest, conf: Conference, asPeer?: string): void {
    const m = req.msg;
    const offer = findMsrpMedia(parseSdp(sdpOf(m)))!;
    const local = net.localUri();
    const p: Participant = {
      conf, aor: m.headers.from!.uri, anonymous: headerText(m, 'privacy') === 'id', callId: m.headers['call-id']!,
      localTag: req.localTag(), remoteTag: String(m.headers.from!.params.tag), port: contactPort(m) ?? req.flow.port, protocol: req.flow.protocol,
      role: 'uas', seq: 1, gone: false,
    };
    p.endpoint = new MsrpEndpoint(net, { localUri: local, remotePath: offer.path, setup: 'passive' }, { onMessage: (x) => onMessage(p, x.contentType, x.body) });
    conf.participants.push(p);
    const contact = asPeer === undefined ? contactOf(conf) : [{ uri: `sip:${asPeer}@${HOST}:${stack.port}`, params: {} }];
    req.reply(200, undefined, {
      headers: { contact, allow: 'INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE', 'content-type': 'application/sdp' },
      body: Buffer.from(answerSdp(local)),
    });
  }

  function contactPort(m: SipRequest): number | undefined {
    const c = m.headers.contact;
    const uri = Array.isArray(c) ? c[0]?.uri : undefined;
    const port = uri === undefined ? undefined : /:(\d+)(?:[;?>]|$)/.exec(uri)?.[1];
    return port === undefined ? undefined : Number(port);
  }

  function sdpOf(m: SipRequest): Buffer {
    const ct = headerText(m, 'content-type') ?? '';
    if (!ct.toLowerCase().startsWith('multipart/')) return m.body;
    return parseMultipart(ct, m.body).find((p) => p.mediaType === 'application/sdp')!.body;
  }

  function onFactory(req: IncomingRequest): void {
    if (focus.refuseFactory !== undefined) {
      const r = focus.refuseFactory;
      focus.refuseFactory = undefined;
      req.reply(r.status, undefined, { headers: { warning: `399 ${HOST} "${r.warning}"` } });
      return;
    }
    const m = req.msg;
    const ct = headerText(m, 'content-type') ?? '';
    const list = parseResourceLists(parseMultipart(ct, m.body).find((p) => p.mediaType === 'application/resource-lists+xml')!.body);
    const conf = newConference();
    join(req, conf);
    // the 1-1 dialog the INVITE replaces ends with our BYE (OMA IM 7.1.1.6 NOTE)
    const rh = headerText(m, 'replaces');
    const rv = rh === undefined ? undefined : parseReplaces(rh);
    if (rv !== undefined) {
      const old = [...conferences.values()].flatMap((c) => c.participants).find((p) => p.callId === rv.callId && p.localTag === rv.toTag && p.remoteTag === rv.fromTag && !p.gone);
      if (old !== undefined) void focus.bye(old).catch(() => undefined);
    }
    // invite each listed user; an entry carrying Replaces is invited with that Replaces (RFC 3891)
    for (const e of list) {
      const split = splitUriHeaders(e.uri)!;
      const rep = split.headers.get('replaces');
      const replaces = rep === undefined ? undefined : parseReplaces(rep);
      if (peers.has(userOf(split.base))) continue;
      void focus.invite(userOf(split.base), { conf, ...(replaces !== undefined ? { replaces } : {}) }).catch(() => undefined);
    }
  }

  const handler = (req: IncomingRequest): void => {
    const m = req.msg;
    requests.push(m);
    if (m.method === 'ACK') return;
    const inDialog = m.headers.to?.params.tag !== undefined;
    if (m.method === 'BYE') {
      for (const c of conferences.values()) {
        const p = c.participants.find((x) => x.callId === m.headers['call-id'] && !x.gone);
        if (p !== undefined) {
          p.gone = true;
          p.endpoint?.close();
          return req.reply(200);
        }
      }
      return req.reply(481);
    }
    // this focus does not serve the conference event package (RFC 6665 8.2.1: 489 Bad Event)
    if (m.method === 'SUBSCRIBE') return req.reply(489, 'Bad Event');
    if (m.method !== 'INVITE' || inDialog) return req.reply(200);
    const user = userOf(m.uri);
    if (user === 'conference-factory') return onFactory(req);
    if (conferences.has(user)) return join(req, conferences.get(user)!);
    if (peers.has(user)) return join(req, newConference(`p2p-${++confSeq}`), user);
    if (groups.has(user)) {
      const existing = [...conferences.values()].find((c) => c.id === `group-${user}`);
      return join(req, existing ?? newConference(`group-${user}`));
    }
    req.reply(404);
  };

  const stack: SipStack = await SipStack.start(
    { bind: HOST, port: 0, udp: true, tcp: true, maxBytesHeaders: 16384, maxContentLength: 65536, maxTransactions: 64, overloadRetryAfterS: 5, logger: silentLogger() },
    handler,
  );

  focus = {
    stack, net, port: stack.port, requests, conferences, inviteAnswers, users, groups, peers,

    async fanOut(conf, from, body, except) {
      const payload = encodeCpim({
        headers: [
          { name: 'From', params: [], value: formatCpimAddress(from) },
          { name: 'To', params: [], value: formatCpimAddress({ uri: conf.identity }) },
          { name: 'DateTime', params: [], value: formatCpimDateTime(new Date()) },
        ],
        mimeHeaders: [{ name: 'Content-Type', value: 'text/plain;charset=UTF-8' }],
        body: Buffer.from(body, 'utf8'),
      });
      const live = conf.participants.filter((p) => p !== except && !p.gone && p.endpoint !== undefined);
      return Promise.all(live.map(async (p) => (await p.endpoint!.send(payload, { contentType: 'message/cpim' })).status));
    },

    async bye(p) {
      p.seq += 1;
      const bye: SipRequest = {
        method: 'BYE', uri: `sip:${userOf(p.aor)}@${HOST}:${p.port}`,
        headers: {
          via: [], 'max-forwards': '70',
          from: { uri: p.conf.identity, params: { tag: p.localTag } },
          to: { uri: p.aor, params: { tag: p.remoteTag } },
          'call-id': p.callId, cseq: { seq: p.seq + 100, method: 'BYE' },
        },
        body: Buffer.alloc(0),
      };
      const rs = await stack.request(bye, { targets: [{ protocol: p.protocol, address: HOST, port: p.port }] });
      p.gone = true;
      p.endpoint?.close();
      return rs.status;
    },

    async invite(user, opts) {
      const port = users.get(user);
      if (port === undefined) throw new Error(`fake focus: no location for ${user}`);
      const conf = opts.conf ?? newConference();
      const local = net.localUri();
      const tag = newTag();
      const callId = `${newTag()}@focus`;
      const sdp = buildMsrpSdp({
        origin: { username: '-', sessionId: 8, version: 1, address: HOST },
        address: HOST, port: net.address!.port, proto: 'TCP/MSRP', acceptTypes: ['message/cpim', 'text/plain'], path: [local], setup: 'actpass',
      });
      const aor = `sip:${user}@localhost`;
      const invite: SipRequest = {
        method: 'INVITE', uri: `sip:${user}@${HOST}:${port}`,
        headers: {
          via: [], 'max-forwards': '70', from: { uri: conf.identity, params: { tag } }, to: { uri: aor, params: {} },
          'call-id': callId, cseq: { seq: 1, method: 'INVITE' }, contact: contactOf(conf), 'content-type': 'application/sdp',
          ...(opts.replaces ? { replaces: formatReplaces(opts.replaces) } : {}),
          ...(opts.require ? { require: opts.require } : {}),
        },
        body: Buffer.from(sdp),
      };
      const rs = await stack.request(invite, { targets: [{ protocol: transport, address: HOST, port }] });
      inviteAnswers.set(aor, rs);
      if (rs.status !== 200) return rs;
      stack.sendAck({ ...invite, method: 'ACK', headers: { ...invite.headers, to: rs.headers.to, cseq: { seq: 1, method: 'ACK' }, 'content-type': undefined }, body: Buffer.alloc(0) });
      const answer = findMsrpMedia(parseSdp(rs.body))!;
      const p: Participant = {
        conf, aor, anonymous: false, callId, localTag: tag, remoteTag: String(rs.headers.to!.params.tag), port, protocol: transport,
        role: 'uac', seq: 1, gone: false,
      };
      // the invitee answered passive to our actpass: we dial its path
      p.endpoint = new MsrpEndpoint(net, { localUri: local, remotePath: answer.path, setup: 'active' }, { onMessage: (x) => onMessage(p, x.contentType, x.body) });
      conf.participants.push(p);
      await p.endpoint.connect();
      return rs;
    },

    async close() {
      await net.close();
      await stack.close();
    },
  };
  return focus;
}

/** The CPIM From of a payload, for assertions. */
export function cpimFrom(body: Buffer): string | undefined {
  const c = parseCpim(body);
  return c.ok ? cpimHeaderValues(c.value.headers, 'From')[0] : undefined;
}
