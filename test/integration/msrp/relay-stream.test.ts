import { randomBytes } from 'node:crypto';
import { parseMsrpUri } from '../../../src/msrp/wire';
import { relayRig, until } from './helpers';

describe('RFC 4976 relay streaming through per-leg rings', () => {
  test('RFC 4975 7.1.1: 10,000 messages A -> relay -> B arrive in order and byte-exact', async () => {
    const rig = await relayRig({ ringBytes: 64 * 1024 });
    try {
      const bodies: Buffer[] = [];
      const sends: Promise<{ status: number }>[] = [];
      for (let i = 0; i < 10_000; i++) {
        const body = Buffer.concat([Buffer.from(`#${i}:`), randomBytes(i % 200)]);
        bodies.push(body);
        sends.push(rig.a.send(body, { contentType: 'application/octet-stream' }));
        if (sends.length % 64 === 0) await sends[sends.length - 64];
      }
      const results = await Promise.all(sends);
      expect(results.every((r) => r.status === 200)).toBe(true);
      await until(() => rig.received.length === 10_000, 'all messages at B');
      for (let i = 0; i < 10_000; i++) expect(rig.received[i].body.equals(bodies[i])).toBe(true);
      const c = rig.relay.counters;
      expect(c.framesForwarded).toBe(10_000);
      expect(c.ringHighWater).toBeLessThanOrEqual(c.ringBytes);
      expect(c.liveLegs).toBe(2);
    } finally {
      await rig.close();
    }
  });

  test('RFC 4975 7.1.1 chunking: a 5 MiB message crosses the relay while no ring exceeds ringBytes', async () => {
    const ringBytes = 64 * 1024;
    const rig = await relayRig({ ringBytes }, { maxChunkSize: 256 * 1024 });
    try {
      const body = randomBytes(5 * 1024 * 1024);
      const r = await rig.a.send(body, { contentType: 'application/octet-stream' });
      expect(r.status).toBe(200);
      expect(r.chunks).toBeGreaterThanOrEqual(20);
      await until(() => rig.received.length === 1, '5 MiB at B');
      expect(rig.received[0].body.equals(body)).toBe(true);
      const c = rig.relay.counters;
      expect(c.bodyBytesForwarded).toBe(body.length);
      expect(c.ringHighWater).toBeGreaterThan(0);
      expect(c.ringHighWater).toBeLessThanOrEqual(ringBytes);
    } finally {
      await rig.close();
    }
  });

  test('DESIGN back-pressure: a receiver that stops reading pauses the sender, and reading again resumes it', async () => {
    const ringBytes = 64 * 1024;
    const rig = await relayRig({ ringBytes, maxMessageSize: 64 * 1024 * 1024 }, { maxChunkSize: 1024 * 1024, maxMessageSize: 64 * 1024 * 1024 });
    try {
      const bConn = rig.b.connection!;
      bConn.socket.pause(); // B stops reading: kernel buffers fill, then the relay's ring
      const body = randomBytes(24 * 1024 * 1024);
      const sent = rig.a.send(body, { contentType: 'application/octet-stream' });
      sent.catch(() => undefined); // a failed assertion below must not leave it unhandled
      const relayA = rig.relay.net.findSession(parseMsrpUri(rig.pair.aLocal)!.sessionId!)!.connection!;
      const relayB = rig.relay.net.findSession(parseMsrpUri(rig.pair.bLocal)!.sessionId!)!.connection!;
      // once B's kernel buffers are full the relay's B leg stays congested and A stays paused
      await until(() => relayA.readingPaused && relayB.out.congested, 'A paused by the relay');
      await new Promise((r) => setTimeout(r, 100));
      expect(relayA.readingPaused).toBe(true);
      expect(rig.relay.counters.pauses).toBeGreaterThan(0);
      expect(rig.relay.counters.ringHighWater).toBeLessThanOrEqual(ringBytes);
      expect(rig.received.length).toBe(0);
      bConn.socket.resume();
      expect((await sent).status).toBe(200);
      await until(() => rig.received.length === 1, 'message at B after resume');
      expect(rig.received[0].body.equals(body)).toBe(true);
      const c = rig.relay.counters;
      expect(c.resumes).toBeGreaterThan(0);
      expect(c.ringHighWater).toBeLessThanOrEqual(ringBytes);
      expect(relayA.readingPaused).toBe(false);
    } finally {
      await rig.close();
    }
  });
});
