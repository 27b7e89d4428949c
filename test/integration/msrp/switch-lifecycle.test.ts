import { randomBytes } from 'node:crypto';
import { MsrpEndpoint, type ReceivedMessage } from '../../../src/msrp/endpoint';
import { MsrpNet } from '../../../src/msrp/net';
import { parseCpim } from '../../../src/msrp/wire';
import { bindSend, headerOf, RawClient, until } from './helpers';
import { cpimOf, RawPeer, reassemble, senderOf, switchRig, textOf, uriOf } from './switch-helpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('MSRP switch participants: binding, loss, removal (OMA IM 7.2.1.5, 7.2.1.9, 7.2.1.10)', () => {
  test('OMA IM 7.2.1.5: a participant is bound when its connection binds; 7.2.1.10: a lost connection is reported and the others carry on', async () => {
    const rig = await switchRig(3);
    try {
      const [a, b, c] = rig.members;
      expect(rig.events).toEqual([a, b, c].map((m) => ({ type: 'bound', id: m.id })));
      b.ep.connection!.close();
      await until(() => rig.events.some((e) => e.type === 'lost'), 'lost event');
      expect(rig.events.filter((e) => e.type === 'lost')).toEqual([{ type: 'lost', id: b.id }]);
      expect(rig.sw.isBound(b.id)).toBe(false);
      expect(rig.sw.participantIds()).toContain(b.id); // the focus decides (BYE), not the switch
      expect((await a.ep.send(Buffer.from('after B left'))).status).toBe(200);
      await until(() => c.received.length === 1, 'message at C');
      expect(textOf(c.received[0])).toBe('after B left');
      expect(rig.sw.counters.boundParticipants).toBe(2);
    } finally {
      await rig.close();
    }
  });

  test('OMA IM 7.2.1.9: removeParticipant releases its MSRP resources: its connection closes and it gets nothing more', async () => {
    const rig = await switchRig(3);
    try {
      const [a, b, c] = rig.members;
      expect(rig.sw.removeParticipant(b.id)).toBe(true);
      expect(rig.sw.removeParticipant(b.id)).toBe(false);
      expect(rig.sw.participantIds()).toEqual([a.id, c.id]);
      await until(() => b.ep.connection === undefined, 'B connection closed');
      expect((await a.ep.send(Buffer.from('without B'))).status).toBe(200);
      await until(() => c.received.length === 1, 'message at C');
      await sleep(30);
      expect(b.received).toEqual([]);
      expect(rig.events.some((e) => e.type === 'lost')).toBe(false);
      expect(rig.net.connectionCount).toBe(2);
    } finally {
      await rig.close();
    }
  });

  test('OMA IM 7.2.1.9 mid-message: a receiver removed while a chunked message streams; the others get it whole, the sender hears 481 for it', async () => {
    const rig = await switchRig(3, { client: { maxChunkSize: 4 * 1024 }, switchNet: { ringBytes: 16 * 1024 } });
    try {
      const [a, b, c] = rig.members;
      const big = randomBytes(2 * 1024 * 1024);
      const sent = a.ep.send(big, { contentType: 'application/octet-stream' });
      await until(() => rig.sw.counters.chunksIn >= 20, 'some chunks through');
      rig.sw.removeParticipant(b.id);
      const r = await sent;
      expect(r.status).toBe(200);
      await until(() => c.received.length === 1, 'whole message at C');
      expect(cpimOf(c.received[0]).body.equals(big)).toBe(true);
      expect(b.received).toEqual([]);
      await until(() => a.reports.length > 0, 'failure REPORT at A');
      expect(a.reports.every((x) => x.status.code === 481 && x.messageId === r.messageId)).toBe(true);
    } finally {
      await rig.close();
    }
  });

  test('RFC 6135 active: the switch connects out to a passive participant and binds it; messages flow both ways', async () => {
    const rig = await switchRig(1);
    const peerNet = new MsrpNet();
    try {
      const [a] = rig.members;
      const { port } = await peerNet.listen('127.0.0.1', 0);
      const own = peerNet.localUri();
      const local = rig.sw.addParticipant({ id: 'callee', remotePath: [own], setup: 'active', identity: { uri: 'sip:callee@imedge.test' } });
      const got: ReceivedMessage[] = [];
      const ep = new MsrpEndpoint(peerNet, { localUri: own, remotePath: [local], setup: 'passive' }, { onMessage: (m) => got.push(m) });
      expect(port).toBeGreaterThan(0);
      await rig.sw.connect('callee');
      expect(rig.sw.isBound('callee')).toBe(true);
      expect(rig.events).toContainEqual({ type: 'bound', id: 'callee' });
      expect((await a.ep.send(Buffer.from('to the callee'))).status).toBe(200);
      await until(() => got.length === 1, 'message at the callee');
      expect(textOf(got[0])).toBe('to the callee');
      expect((await ep.send(Buffer.from('from the callee'))).status).toBe(200);
      await until(() => a.received.length === 1, 'message at A');
      expect(senderOf(a.received[0])).toBe('sip:callee@imedge.test');
      await expect(rig.sw.connect(a.id)).rejects.toThrow(/passive/);
    } finally {
      await rig.close();
      await peerNet.close();
    }
  });

  test('RFC 6135: an invitee that answers passive is dialled even when a connection bound its leg before the answer, with its right From-Path; that connection is dropped (attack t14 #1)', async () => {
    const rig = await switchRig(1);
    const peerNet = new MsrpNet();
    const stranger = await RawClient.open(rig.net.address!.port);
    try {
      const [a] = rig.members;
      await peerNet.listen('127.0.0.1', 0);
      const own = peerNet.localUri();
      // the focus offers first: the invitee's session waits (passive) with no path yet
      const local = rig.sw.addParticipant({ id: 'invitee', setup: 'passive', identity: { uri: 'sip:invitee@imedge.test' } });
      const t = randomBytes(6).toString('hex');
      stranger.write(bindSend(t, local, own));
      await until(() => stranger.responses(t).length === 1, 'early bind answered');
      expect(stranger.responses(t)[0].head).toMatchObject({ status: 200 });
      // the answer: passive, so the focus dials
      rig.sw.setRemotePath('invitee', [own]);
      const got: ReceivedMessage[] = [];
      new MsrpEndpoint(peerNet, { localUri: own, remotePath: [local], setup: 'passive' }, { onMessage: (m) => got.push(m) });
      expect(await rig.sw.connectOut('invitee', 5000)).toBe('connected');
      expect((await a.ep.send(Buffer.from('to the invitee'))).status).toBe(200);
      await until(() => got.length === 1, 'message at the invitee');
      await until(() => stranger.closed, 'stranger connection closed');
      expect(stranger.requests('SEND')).toHaveLength(0);
    } finally {
      stranger.end();
      await rig.close();
      await peerNet.close();
    }
  });

  test('RFC 4975 5.4: two participants sharing one connection each get every chunk whole, as whole frames, in order', async () => {
    const rig = await switchRig(1, { client: { maxChunkSize: 8 * 1024 } });
    try {
      const [a] = rig.members;
      const peer = await RawPeer.open(rig.net.address!.port);
      const owns = ['msrp://127.0.0.1:9/shared1;tcp', 'msrp://127.0.0.1:9/shared2;tcp'];
      for (const [i, own] of owns.entries()) {
        const local = rig.sw.addParticipant({ id: `s${i}`, remotePath: [own], identity: { uri: `sip:s${i}@imedge.test` } });
        await peer.bind(local, own);
      }
      const big = randomBytes(100 * 1024);
      const r1 = await a.ep.send(big, { contentType: 'application/octet-stream', successReport: 'yes' });
      const r2 = await a.ep.send(Buffer.from('small after'));
      expect([r1.status, r2.status]).toEqual([200, 200]);
      for (const own of owns) {
        await until(() => reassemble(peer.sendsTo(own)).size === 2, `both messages for ${own}`);
        const msgs = [...reassemble(peer.sendsTo(own)).values()].map((b) => parseCpim(b));
        if (!msgs[0].ok || !msgs[1].ok) throw new Error('bad CPIM');
        expect(msgs[0].value.body.equals(big)).toBe(true);
        expect(msgs[1].value.body.toString()).toBe('small after');
        for (const f of peer.sendsTo(own)) expect(headerOf(f, 'Content-Type')).toBe('message/cpim');
      }
      // the peer answered every frame: the switch vouches for the big one
      await until(() => a.reports.length === 1, 'success REPORT at A');
      expect(a.reports[0]).toMatchObject({ messageId: r1.messageId, status: { code: 200 } });
      expect(rig.sw.counters.failureReportsSent).toBe(0);
    } finally {
      await rig.close();
    }
  });

  test('RFC 4975 7.1.1 limits: a chunk of a message whose first chunk never came gets 400; too many half-sent messages get 413', async () => {
    const rig = await switchRig(1, { switchOpts: { maxOpenMessagesPerSender: 2 } });
    try {
      const own = 'msrp://127.0.0.1:9/rawsender9;tcp';
      const local = rig.sw.addParticipant({ id: 'raw', remotePath: [own], identity: { uri: 'sip:raw@imedge.test' } });
      const peer = await RawPeer.open(rig.net.address!.port);
      await peer.bind(local, own);
      const chunk = (tid: string, mid: string, range: string, flag: string) =>
        `MSRP ${tid} SEND\r\nTo-Path: ${local}\r\nFrom-Path: ${own}\r\nMessage-ID: ${mid}\r\nByte-Range: ${range}\r\nContent-Type: text/plain\r\n\r\nabcd\r\n-------${tid}${flag}\r\n`;
      peer.write(chunk('tail0001', 'nohead01', '5-8/8', '$'));
      peer.write(chunk('open0001', 'msg00001', '1-4/8', '+'));
      peer.write(chunk('open0002', 'msg00002', '1-4/8', '+'));
      peer.write(chunk('open0003', 'msg00003', '1-4/8', '+'));
      await until(() => ['tail0001', 'open0001', 'open0002', 'open0003'].every((t) => peer.responses(t).length === 1), 'four answers');
      const status = (tid: string) => peer.responses(tid)[0].head.kind === 'response' && (peer.responses(tid)[0].head as { status: number }).status;
      expect([status('tail0001'), status('open0001'), status('open0002'), status('open0003')]).toEqual([400, 200, 200, 413]);
      expect(rig.sw.counters.openMessages).toBe(2);
      // the first one completes and frees its slot
      peer.write(chunk('open0004', 'msg00001', '5-8/8', '$'));
      await until(() => peer.responses('open0004').length === 1, 'answer');
      expect(rig.sw.counters.openMessages).toBe(1);
      await until(() => rig.members[0].received.length === 1, 'message at A');
      expect(textOf(rig.members[0].received[0])).toBe('abcdabcd');
      expect(senderOf(rig.members[0].received[0])).toBe('sip:raw@imedge.test');
    } finally {
      await rig.close();
    }
  });

  test('limits and checks: maxParticipants, duplicate ids, identities that cannot be written, slowReceiverMs below the transaction timeout', async () => {
    const rig = await switchRig(0, { switchOpts: { maxParticipants: 2 } });
    try {
      rig.sw.addParticipant({ id: 'x', identity: { uri: 'sip:x@imedge.test' } });
      expect(() => rig.sw.addParticipant({ id: 'x', identity: 'anonymous' })).toThrow(RangeError);
      expect(() => rig.sw.addParticipant({ id: 'y', identity: { uri: 'not a uri' } })).toThrow(RangeError);
      rig.sw.addParticipant({ id: 'y', identity: 'anonymous' });
      expect(() => rig.sw.addParticipant({ id: 'z', identity: 'anonymous' })).toThrow(/limit/);
      expect(() => new (rig.sw.constructor as typeof import('../../../src/msrp/switch').MsrpSwitch)(rig.net, { conference: { uri: 'sip:c@d' }, slowReceiverMs: 60_000 })).toThrow(/slowReceiverMs/);
      expect(rig.sw.counters.participants).toBe(2);
      expect(uriOf({ identity: 'anonymous' } as never)).toBe('sip:anonymous@anonymous.invalid');
    } finally {
      await rig.close();
    }
  });
});
