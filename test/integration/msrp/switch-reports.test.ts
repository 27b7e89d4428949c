import { cpimHeaderValues, parseCpimAddress } from '../../../src/msrp/wire';
import { headerOf, sendText, until } from './helpers';
import { CONFERENCE_URI, cpimOf, RawPeer, switchRig, textOf, type SwitchRig } from './switch-helpers';

/** A raw participant added to the rig: binds its session over its own socket. */
async function rawMember(rig: SwitchRig, id: string, answer: (f: import('../../../src/msrp/wire').MsrpFrame) => number | undefined) {
  const own = `msrp://127.0.0.1:9/raw${id}x${process.pid};tcp`;
  const local = rig.sw.addParticipant({ id, remotePath: [own], identity: { uri: `sip:${id}@imedge.test` } });
  const peer = await RawPeer.open(rig.net.address!.port, answer);
  await peer.bind(local, own);
  return { peer, own, local };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('MSRP switch responses and reports (RFC 4975 7.1.2, 7.2)', () => {
  test('RFC 4975 7.1.2 Success-Report yes: one success REPORT from the switch once every receiver answered 200', async () => {
    const rig = await switchRig(3);
    try {
      const [a, b, c] = rig.members;
      const r = await a.ep.send(Buffer.from('confirm me'), { successReport: 'yes' });
      expect(r.status).toBe(200);
      await until(() => a.reports.length === 1, 'success REPORT at A');
      expect(a.reports[0]).toEqual({ messageId: r.messageId, status: { namespace: 0, code: 200, reason: 'OK' }, byteRange: { start: 1, end: 10, total: 10 } });
      expect(b.received).toHaveLength(1);
      expect(c.received).toHaveLength(1);
      await sleep(50);
      expect(a.reports).toHaveLength(1);
      // receivers were not asked for their own reports, and none were forwarded
      expect(rig.sw.counters.reportsAbsorbed).toBe(0);
      expect(rig.sw.counters.successReportsSent).toBe(1);
    } finally {
      await rig.close();
    }
  });

  test('RFC 4975 7.1.2: no Success-Report asked, none sent', async () => {
    const rig = await switchRig(2);
    try {
      const [a, b] = rig.members;
      expect((await a.ep.send(Buffer.from('quiet'))).status).toBe(200);
      await until(() => b.received.length === 1, 'message at B');
      await sleep(50);
      expect(a.reports).toEqual([]);
    } finally {
      await rig.close();
    }
  });

  test('RFC 4975 7.1.2: a receiver that never answers: no success REPORT, a 408 failure REPORT after transactionTimeoutMs', async () => {
    const rig = await switchRig(2, { switchNet: { transactionTimeoutMs: 400 }, switchOpts: { slowReceiverMs: 200 } });
    try {
      const [a, b] = rig.members;
      const mute = await rawMember(rig, 'mute', () => undefined);
      const r = await a.ep.send(Buffer.from('anyone?'), { successReport: 'yes' });
      expect(r.status).toBe(200); // hop by hop: the switch took it
      await until(() => a.reports.length === 1, 'failure REPORT at A');
      expect(a.reports[0].messageId).toBe(r.messageId);
      expect(a.reports[0].status.code).toBe(408);
      expect(a.reports[0].status.reason).toContain('sip:mute@imedge.test');
      expect(a.reports[0].byteRange).toEqual({ start: 1, end: 7, total: 7 });
      expect(b.received).toHaveLength(1);
      expect(mute.peer.sendsTo(mute.own)).toHaveLength(1);
      await sleep(100);
      expect(a.reports).toHaveLength(1); // and never a success report
      expect(rig.sw.counters.failureReportsSent).toBe(1);
      expect(rig.sw.counters.successReportsSent).toBe(0);
    } finally {
      await rig.close();
    }
  });

  test('RFC 4975 7.1.2: a receiver answering an error yields a failure REPORT with its status; the others still get the message', async () => {
    const rig = await switchRig(2);
    try {
      const [a, b] = rig.members;
      await rawMember(rig, 'picky', () => 415);
      const r = await a.ep.send(Buffer.from('not for picky'));
      expect(r.status).toBe(200);
      await until(() => a.reports.length === 1, 'failure REPORT at A');
      expect(a.reports[0].status.code).toBe(415);
      expect(a.reports[0].messageId).toBe(r.messageId);
      expect(b.received.map(textOf)).toEqual(['not for picky']);
    } finally {
      await rig.close();
    }
  });

  test('RFC 4975 7.1.2 Failure-Report no: no failure REPORT and no 200; partial: no 200 but the failure REPORT', async () => {
    const rig = await switchRig(0, { switchNet: { transactionTimeoutMs: 300 }, switchOpts: { slowReceiverMs: 100 } });
    try {
      const own = 'msrp://127.0.0.1:9/rawsender1;tcp';
      const local = rig.sw.addParticipant({ id: 'sender', remotePath: [own], identity: { uri: 'sip:sender@imedge.test' } });
      const sender = await RawPeer.open(rig.net.address!.port);
      await sender.bind(local, own);
      const mute = await rawMember(rig, 'mute', () => undefined);
      sender.write(sendText('fr0no001', local, own, 'one', 'Failure-Report: no\r\n'));
      sender.write(sendText('fr0par01', local, own, 'two', 'Failure-Report: partial\r\n'));
      await until(() => mute.peer.sendsTo(mute.own).length === 2, 'both at the mute receiver');
      await until(() => sender.requests('REPORT').length === 1, 'one failure REPORT at the sender');
      await sleep(400);
      expect(sender.responses('fr0no001')).toEqual([]);
      expect(sender.responses('fr0par01')).toEqual([]);
      const reports = sender.requests('REPORT');
      expect(reports).toHaveLength(1);
      expect(headerOf(reports[0], 'Message-ID')).toBe('mfr0par01');
      expect(headerOf(reports[0], 'Status')).toMatch(/^000 408 /);
      expect(headerOf(reports[0], 'To-Path')).toBe(own);
      expect(headerOf(reports[0], 'From-Path')).toBe(local);
      // the copy of the Failure-Report: no message asked the receiver for no answer either
      expect(headerOf(mute.peer.sendsTo(mute.own)[0], 'Failure-Report')).toBe('no');
    } finally {
      await rig.close();
    }
  });

  test('REPORTs from receivers are consumed, never forwarded to the sender', async () => {
    const rig = await switchRig(1);
    try {
      const [a] = rig.members;
      const peer = await rawMember(rig, 'reporter', () => 200);
      expect((await a.ep.send(Buffer.from('report me'))).status).toBe(200);
      await until(() => peer.peer.sendsTo(peer.own).length === 1, 'copy at the raw peer');
      const copy = peer.peer.sendsTo(peer.own)[0];
      const id = headerOf(copy, 'Message-ID');
      peer.peer.write(
        `MSRP rep00001 REPORT\r\nTo-Path: ${peer.local}\r\nFrom-Path: ${peer.own}\r\nMessage-ID: ${id}\r\nByte-Range: 1-9/9\r\nStatus: 000 200 OK\r\n-------rep00001$\r\n`,
      );
      await until(() => rig.sw.counters.reportsAbsorbed === 1, 'REPORT absorbed');
      await sleep(50);
      expect(a.reports).toEqual([]);
      expect(peer.peer.responses('rep00001')).toEqual([]); // RFC 4975 7.1.2: REPORTs get no response
    } finally {
      await rig.close();
    }
  });
});

describe('MSRP switch and senders that wrap their own CPIM (RFC 3862, OMA IM 7.2)', () => {
  test('RFC 3862 4.1: the sender\'s From is replaced by the identity the focus asserts; Subject and DateTime kept', async () => {
    const rig = await switchRig(2);
    try {
      const [a, b] = rig.members;
      const body =
        'From: Mallory <sip:ceo@bank.example>\r\nfrom: <sip:ceo@bank.example>\r\nTo: <sip:conf-1@imedge.test;isfocus>\r\n' +
        'DateTime: 2001-02-03T04:05:06Z\r\nSubject:;lang=en hi all\r\n\r\nContent-Type: text/plain\r\n\r\nhello from A';
      const r = await a.ep.send(Buffer.from(body), { contentType: 'message/cpim' });
      expect(r.status).toBe(200);
      await until(() => b.received.length === 1, 'message at B');
      const cpim = cpimOf(b.received[0]);
      expect(cpim.headers.map((h) => [h.name, h.value])).toEqual([
        ['From', 'User 0 <sip:user0@imedge.test>'],
        ['To', `<${CONFERENCE_URI}>`],
        ['DateTime', '2001-02-03T04:05:06Z'],
        ['Subject', 'hi all'],
      ]);
      expect(cpim.mimeHeaders).toEqual([{ name: 'Content-Type', value: 'text/plain' }]);
      expect(cpim.body.toString()).toBe('hello from A');
      expect(b.received[0].body.toString()).not.toContain('bank.example');
    } finally {
      await rig.close();
    }
  });

  test('RFC 7701 6.2: a CPIM To naming someone else is a private message: 428, delivered to nobody', async () => {
    const rig = await switchRig(3);
    try {
      const [a, b, c] = rig.members;
      const body = 'From: <sip:user0@imedge.test>\r\nTo: <sip:user1@imedge.test>\r\n\r\nContent-Type: text/plain\r\n\r\njust for you';
      const r = await a.ep.send(Buffer.from(body), { contentType: 'message/cpim' });
      expect(r.status).toBe(428);
      expect((await a.ep.send(Buffer.from('public'))).status).toBe(200);
      await until(() => b.received.length === 1 && c.received.length === 1, 'the public message');
      expect(b.received.map(textOf)).toEqual(['public']);
      expect(c.received.map(textOf)).toEqual(['public']);
      expect(rig.sw.counters.refused).toBe(1);
    } finally {
      await rig.close();
    }
  });

  test('RFC 3862 3.6: malformed CPIM headers are refused with 400; a To naming a conference alias passes', async () => {
    const rig = await switchRig(2, { switchOpts: { conferenceAliases: ['sip:group-7@imedge.test'] } });
    try {
      const [a, b] = rig.members;
      const bad = await a.ep.send(Buffer.from('no colon here\r\n\r\nContent-Type: text/plain\r\n\r\nx'), { contentType: 'message/cpim' });
      expect(bad.status).toBe(400);
      const alias = 'To: <sips:group-7@IMEDGE.test;gr>\r\n\r\nContent-Type: text/plain\r\n\r\nto the group';
      expect((await a.ep.send(Buffer.from(alias), { contentType: 'message/cpim' })).status).toBe(200);
      await until(() => b.received.length === 1, 'aliased message at B');
      const cpim = cpimOf(b.received[0]);
      expect(parseCpimAddress(cpimHeaderValues(cpim.headers, 'To')[0])).toEqual({ uri: CONFERENCE_URI });
      expect(cpim.body.toString()).toBe('to the group');
    } finally {
      await rig.close();
    }
  });
});
