import { until } from './helpers';
import { senderOf, switchRig, textOf, uriOf } from './switch-helpers';

const PAD = 'x'.repeat(60 * 1024);

describe('MSRP switch slow-receiver policy over loopback sockets', () => {
  test('DESIGN one slow participant never stalls the others: a participant that stops reading is removed after slowReceiverMs, the others keep receiving, the sender gets 408 failure REPORTs for what it missed', async () => {
    const ringBytes = 64 * 1024;
    const rig = await switchRig(4, {
      switchNet: { ringBytes, transactionTimeoutMs: 20_000 },
      switchOpts: { slowReceiverMs: 500 },
    });
    try {
      const [a, b, c, d] = rig.members;
      d.ep.connection!.socket.pause(); // D stops reading: its kernel buffers fill, then its leg
      const sends: Promise<{ status: number; messageId: string }>[] = [];
      const removed = () => rig.events.some((e) => e.type === 'removed-slow');
      let n = 0;
      // send until D is removed (its kernel buffers hold a few MB first), then some more
      while (!removed()) {
        if (n > 4000) throw new Error('D was never removed');
        sends.push(a.ep.send(Buffer.from(`${n}:${PAD}`)));
        n++;
        if (sends.length % 8 === 0) await sends[sends.length - 8];
      }
      const removedAfter = n;
      for (let i = 0; i < 10; i++, n++) sends.push(a.ep.send(Buffer.from(`${n}:${PAD}`)));
      const results = await Promise.all(sends);
      expect(results.every((r) => r.status === 200)).toBe(true);

      // the focus hears it once, for D, and D is no longer a participant
      expect(rig.events.filter((e) => e.type === 'removed-slow')).toEqual([{ type: 'removed-slow', id: d.id, missed: expect.any(Number) }]);
      expect(rig.sw.participantIds()).toEqual([a.id, b.id, c.id]);
      expect(rig.sw.isBound(d.id)).toBe(false);

      // B and C got every message, once each, in order
      await until(() => b.received.length === n && c.received.length === n, 'all messages at B and C');
      for (const m of [b, c]) {
        expect(m.received.map((r) => senderOf(r))).toEqual(Array(n).fill(uriOf(a)));
        expect(m.received.map((r) => Number(textOf(r).split(':')[0]))).toEqual([...Array(n).keys()]);
      }

      // A got one 408 REPORT per message D missed: D read nothing, so exactly the messages
      // that reached the switch before D was removed, none after
      await until(() => a.reports.length === rig.sw.counters.failureReportsSent, 'reports at A');
      expect(a.reports.length).toBeGreaterThan(0);
      expect(a.reports.every((r) => r.status.code === 408)).toBe(true);
      expect(a.reports.every((r) => (r.status.reason ?? '').includes(uriOf(d)))).toBe(true);
      const ids = results.map((r) => r.messageId);
      const reported = a.reports.map((r) => ids.indexOf(r.messageId)).sort((x, y) => x - y);
      expect(reported).toEqual([...Array(reported.length).keys()]);
      expect(reported.length).toBeLessThanOrEqual(removedAfter);

      const s = rig.sw.counters;
      expect(s.removedSlow).toBe(1);
      expect(s.congestions).toBeGreaterThan(0);
      expect(s.congestedLegs).toBe(0);
      expect(s.ringHighWater).toBeLessThanOrEqual(ringBytes);
      expect(s.failureReportsSent).toBe(a.reports.length);
      // nothing is held for D any more: its connection is gone
      expect(rig.net.connectionCount).toBe(3);
    } finally {
      await rig.close();
    }
  });

  test('DESIGN back-pressure: a receiver that is slow for less than slowReceiverMs pauses the sender and stays', async () => {
    const ringBytes = 64 * 1024;
    const rig = await switchRig(3, { switchNet: { ringBytes }, switchOpts: { slowReceiverMs: 20_000 } });
    try {
      const [a, b, c] = rig.members;
      c.ep.connection!.socket.pause();
      const sends = [];
      for (let i = 0; i < 200; i++) sends.push(a.ep.send(Buffer.from(`${i}:${PAD}`)));
      // C's leg fills and stays congested: A is paused, nothing is lost
      await until(() => rig.sw.counters.congestedLegs === 1, 'C congested');
      await new Promise((r) => setTimeout(r, 100));
      expect(rig.sw.counters.removedSlow).toBe(0);
      c.ep.connection!.socket.resume();
      expect((await Promise.all(sends)).every((r) => r.status === 200)).toBe(true);
      await until(() => b.received.length === 200 && c.received.length === 200, 'all messages at B and C');
      expect(c.received.map((r) => Number(textOf(r).split(':')[0]))).toEqual([...Array(200).keys()]);
      const s = rig.sw.counters;
      expect(s.congestions).toBeGreaterThan(0);
      expect(s.failureReportsSent).toBe(0);
      expect(s.ringHighWater).toBeLessThanOrEqual(ringBytes);
      expect(a.reports).toEqual([]);
    } finally {
      await rig.close();
    }
  });
});
