import { randomBytes } from 'node:crypto';
import { cpimHeaderValues, isCpimDateTime, parseCpimAddress } from '../../../src/msrp/wire';
import { until } from './helpers';
import { scaled } from '../../helpers/node-exe';
import { CONFERENCE_URI, cpimOf, senderOf, switchRig, textOf, uriOf } from './switch-helpers';

describe('MSRP switch fan-out over loopback sockets', () => {
  test('OMA IM 7.2.1.5 switch: 3 participants, every message reaches every other participant exactly once, never the sender', async () => {
    const rig = await switchRig(3);
    try {
      const sends = [];
      for (const m of rig.members) for (let i = 0; i < 5; i++) sends.push(m.ep.send(Buffer.from(`${m.id} says ${i}`)));
      const results = await Promise.all(sends);
      expect(results.every((r) => r.status === 200)).toBe(true);
      await until(() => rig.members.every((m) => m.received.length === 10), 'ten messages at each participant');
      await new Promise((r) => setTimeout(r, scaled(50))); // nothing more arrives (no echo, no duplicate)
      for (const m of rig.members) {
        expect(m.received).toHaveLength(10);
        const got = m.received.map((r) => `${senderOf(r)} ${textOf(r)}`).sort();
        const want = rig.members
          .filter((o) => o !== m)
          .flatMap((o) => [0, 1, 2, 3, 4].map((i) => `${uriOf(o)} ${o.id} says ${i}`))
          .sort();
        expect(got).toEqual(want);
        expect(got.some((g) => g.includes(`${m.id} says`))).toBe(false);
      }
      const c = rig.sw.counters;
      expect(c.messagesIn).toBe(15);
      expect(c.deliveries).toBe(30);
      expect(c.bindSends).toBe(3);
      expect(c.okSent).toBe(15 + 3); // every SEND answered hop by hop, the binding ones included
      expect(c.failureReportsSent).toBe(0);
      expect(c.boundParticipants).toBe(3);
      expect(c.ringHighWater).toBeLessThanOrEqual(c.ringBytes);
    } finally {
      await rig.close();
    }
  });

  test('RFC 3862 envelope: From is the asserted identity, To the conference, DateTime, then the inner type and body', async () => {
    const at = new Date(Date.UTC(2026, 10, 3, 9, 30, 0));
    const rig = await switchRig(2, { switchOpts: { now: () => at } });
    try {
      const [a, b] = rig.members;
      const sent = await a.ep.send(Buffer.from('<b>héllo €</b>'), { contentType: 'text/html; charset=utf-8' });
      expect(sent.status).toBe(200);
      await until(() => b.received.length === 1, 'message at B');
      const cpim = cpimOf(b.received[0]);
      expect(cpim.headers.map((h) => h.name)).toEqual(['From', 'To', 'DateTime']);
      expect(parseCpimAddress(cpimHeaderValues(cpim.headers, 'From')[0])).toEqual({ name: 'User 0', uri: 'sip:user0@imedge.test' });
      expect(parseCpimAddress(cpimHeaderValues(cpim.headers, 'To')[0])).toEqual({ uri: CONFERENCE_URI });
      expect(cpimHeaderValues(cpim.headers, 'DateTime')).toEqual(['2026-11-03T09:30:00.000Z']);
      expect(isCpimDateTime(cpimHeaderValues(cpim.headers, 'DateTime')[0])).toBe(true);
      expect(cpim.mimeHeaders).toEqual([{ name: 'Content-Type', value: 'text/html; charset=utf-8' }]);
      expect(cpim.body.toString('utf8')).toBe('<b>héllo €</b>');
      // the Message-ID the receiver saw is the switch's own, not the sender's
      expect(b.received[0].messageId).not.toBe(sent.messageId);
    } finally {
      await rig.close();
    }
  });

  test('OMA IM 7.2.1.5 anonymity (RFC 3323): an anonymous sender appears as sip:anonymous@anonymous.invalid', async () => {
    const rig = await switchRig(2);
    try {
      const anon = await rig.add('anonymous', 'secret-id-7');
      expect((await anon.ep.send(Buffer.from('who am I'))).status).toBe(200);
      await until(() => rig.members[0].received.length === 1 && rig.members[1].received.length === 1, 'message at both');
      for (const m of rig.members.slice(0, 2)) {
        const cpim = cpimOf(m.received[0]);
        expect(cpimHeaderValues(cpim.headers, 'From')).toEqual(['Anonymous <sip:anonymous@anonymous.invalid>']);
        expect(m.received[0].body.toString('latin1')).not.toContain('secret');
        expect(textOf(m.received[0])).toBe('who am I');
      }
      // and the anonymous participant receives the others' messages like anyone
      expect((await rig.members[0].ep.send(Buffer.from('hello anon'))).status).toBe(200);
      await until(() => anon.received.length === 1, 'message at the anonymous participant');
      expect(senderOf(anon.received[0])).toBe('sip:user0@imedge.test');
    } finally {
      await rig.close();
    }
  });

  test('RFC 4975 7.1.1: 20 participants x 100 messages, each delivered exactly once to each other participant, in order per sender', async () => {
    const rig = await switchRig(20);
    try {
      const sends = rig.members.map(async (m) => {
        const pending = [];
        for (let i = 0; i < 100; i++) {
          pending.push(m.ep.send(Buffer.from(`${i}`)));
          if (pending.length % 25 === 0) await pending[pending.length - 25];
        }
        return Promise.all(pending);
      });
      const results = (await Promise.all(sends)).flat();
      expect(results.every((r) => r.status === 200)).toBe(true);
      await until(() => rig.members.every((m) => m.received.length === 1900), '1,900 messages at each participant', 30_000);
      for (const m of rig.members) {
        const bySender = new Map<string, number[]>();
        for (const r of m.received) {
          const cpim = cpimOf(r);
          const from = cpimHeaderValues(cpim.headers, 'From')[0];
          const list = bySender.get(from) ?? [];
          list.push(Number(cpim.body.toString()));
          bySender.set(from, list);
        }
        expect([...bySender.keys()].some((f) => f.includes(`<${uriOf(m)}>`))).toBe(false);
        expect(bySender.size).toBe(19);
        for (const list of bySender.values()) expect(list).toEqual([...Array(100).keys()]);
      }
      const c = rig.sw.counters;
      expect(c.deliveries).toBe(20 * 100 * 19);
      expect(c.ringHighWater).toBeLessThanOrEqual(c.ringBytes);
    } finally {
      await rig.close();
    }
  });

  test('RFC 4975 7.1.1 chunking: a chunked message from A arrives whole at B and C while D sends concurrently', async () => {
    const rig = await switchRig(4, { client: { maxChunkSize: 8 * 1024 }, switchNet: { ringBytes: 32 * 1024 } });
    try {
      const [a, b, c, d] = rig.members;
      const big = randomBytes(600 * 1024);
      const bigSend = a.ep.send(big, { contentType: 'application/octet-stream' });
      const small = [];
      for (let i = 0; i < 50; i++) small.push(d.ep.send(Buffer.from(`d${i}`)));
      const r = await bigSend;
      expect(r.status).toBe(200);
      expect(r.chunks).toBeGreaterThanOrEqual(75);
      expect((await Promise.all(small)).every((s) => s.status === 200)).toBe(true);
      await until(() => [b, c].every((m) => m.received.length === 51), 'all messages at B and C');
      for (const m of [b, c]) {
        const fromA = m.received.filter((x) => senderOf(x) === uriOf(a));
        expect(fromA).toHaveLength(1);
        const cpim = cpimOf(fromA[0]);
        expect(cpim.mimeHeaders).toEqual([{ name: 'Content-Type', value: 'application/octet-stream' }]);
        expect(cpim.body.equals(big)).toBe(true);
        const fromD = m.received.filter((x) => senderOf(x) === uriOf(d)).map(textOf);
        expect(fromD).toEqual([...Array(50).keys()].map((i) => `d${i}`));
      }
      expect(d.received).toHaveLength(1);
      expect(cpimOf(d.received[0]).body.equals(big)).toBe(true);
      expect(a.received.map(textOf)).toEqual([...Array(50).keys()].map((i) => `d${i}`));
      const s = rig.sw.counters;
      expect(s.ringHighWater).toBeLessThanOrEqual(32 * 1024);
      expect(s.openMessages).toBe(0);
    } finally {
      await rig.close();
    }
  });
});
