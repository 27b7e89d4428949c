import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { until } from './helpers';
import { RawPeer, switchRig, textOf, type SwitchRig } from './switch-helpers';

let seq = 0;

/** A raw participant bound to a fresh session; `answer` decides its answer to each copy. */
async function hostile(rig: SwitchRig, answer: () => number | undefined = () => 200) {
  const id = `h${++seq}`;
  const own = `msrp://127.0.0.1:9/hostile${seq}x${process.pid};tcp`;
  const local = rig.sw.addParticipant({ id, remotePath: [own], identity: { uri: `sip:${id}@imedge.test` } });
  const peer = await RawPeer.open(rig.net.address!.port, answer);
  await peer.bind(local, own);
  const send = (tid: string, headers: string, body: Buffer | string, flag = '$') =>
    peer.write(Buffer.concat([Buffer.from(`MSRP ${tid} SEND\r\nTo-Path: ${local}\r\nFrom-Path: ${own}\r\n${headers}\r\n`), Buffer.from(body), Buffer.from(`\r\n-------${tid}${flag}\r\n`)]));
  return { id, own, local, peer, send };
}

/** The switch still does its job: a message from A reaches B. */
async function stillWorks(rig: SwitchRig, text: string): Promise<void> {
  const [a, b] = rig.members;
  const before = b.received.length;
  expect((await a.ep.send(Buffer.from(text))).status).toBe(200);
  await until(() => b.received.some((m, i) => i >= before && textOf(m) === text), `"${text}" at B`);
}

describe('MSRP switch robustness: hostile participants never take it down', () => {
  test('bad chunks, broken CPIM, overflowing Byte-Ranges, odd answers and mid-chunk disconnects are each answered or contained', async () => {
    const rig = await switchRig(2, { switchOpts: { maxCpimHeaderBytes: 1024 } });
    try {
      const h1 = await hostile(rig, () => 999);
      const h2 = await hostile(rig, () => undefined);
      // a Byte-Range whose shifted end no longer fits 15 digits
      h1.send('big00001', 'Message-ID: mbig00001\r\nByte-Range: 1-999999999999999/999999999999999\r\nContent-Type: text/plain\r\n', 'x', '+');
      // CPIM header block over the cap, CPIM that is not UTF-8, CPIM headers cut by the chunk end
      h1.send('cpim0001', 'Message-ID: mcpim0001\r\nContent-Type: message/cpim\r\n', `X-A: ${'a'.repeat(2000)}\r\n\r\n`);
      h1.send('cpim0002', 'Message-ID: mcpim0002\r\nContent-Type: message/cpim\r\n', Buffer.from([0x41, 0x3a, 0x20, 0xff, 0x0d, 0x0a, 0x0d, 0x0a]));
      h1.send('cpim0003', 'Message-ID: mcpim0003\r\nByte-Range: 1-10/20\r\nContent-Type: message/cpim\r\n', 'Subject: x', '+');
      // an unknown method, a REPORT about nothing, a SEND without Message-ID
      h1.peer.write(`MSRP odd00001 FOO\r\nTo-Path: ${h1.local}\r\nFrom-Path: ${h1.own}\r\n-------odd00001$\r\n`);
      h1.peer.write(`MSRP rep00001 REPORT\r\nTo-Path: ${h1.local}\r\nFrom-Path: ${h1.own}\r\nMessage-ID: nothing1\r\nStatus: 000 200 OK\r\n-------rep00001$\r\n`);
      h1.peer.write(`MSRP nomid001 SEND\r\nTo-Path: ${h1.local}\r\nFrom-Path: ${h1.own}\r\nContent-Type: text/plain\r\n\r\nx\r\n-------nomid001$\r\n`);
      await until(() => ['big00001', 'cpim0001', 'cpim0002', 'cpim0003', 'odd00001', 'nomid001'].every((t) => h1.peer.responses(t).length === 1), 'answers');
      const status = (t: string) => (h1.peer.responses(t)[0].head as { status: number }).status;
      // big00001 declares a total above msrp.maxMessageSize: 413 (RFC 4975 7.1 / 10.4) before any shift could overflow
      expect(['big00001', 'cpim0001', 'cpim0002', 'cpim0003', 'odd00001', 'nomid001'].map(status)).toEqual([413, 400, 400, 400, 501, 400]);
      await stillWorks(rig, 'after bad chunks');

      // h2 starts a big chunk and vanishes in the middle of it; h1 answers 999 to everything
      h2.peer.write(`MSRP cut00001 SEND\r\nTo-Path: ${h2.local}\r\nFrom-Path: ${h2.own}\r\nMessage-ID: mcut00001\r\nByte-Range: 1-100000/100000\r\nContent-Type: text/plain\r\n\r\n`);
      h2.peer.write(randomBytes(30_000));
      await until(() => rig.sw.counters.chunksIn >= 2, 'h2 chunk under way');
      h2.peer.end();
      await until(() => rig.events.some((e) => e.type === 'lost' && e.id === h2.id), 'h2 lost');
      await stillWorks(rig, 'after a vanished sender');
      await until(() => rig.members[0].reports.some((r) => r.status.code === 999), 'odd status reported as is');

      expect(rig.net.counters.handlerErrors).toBe(0);
      expect(rig.sw.counters.listenerErrors).toBe(0);
    } finally {
      await rig.close();
    }
  });

  test('random bytes after a valid binding never throw out of the switch; a fresh message still crosses', async () => {
    const rig = await switchRig(2);
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 6 }), async (pieces) => {
          const h = await hostile(rig);
          // a valid head first, so that the bytes reach the switch's own code, then garbage
          h.peer.write(`MSRP rnd${seq}x SEND\r\nTo-Path: ${h.local}\r\nFrom-Path: ${h.own}\r\nMessage-ID: rnd${seq}x\r\nByte-Range: 1-*/*\r\nContent-Type: message/cpim\r\n\r\n`);
          for (const p of pieces) h.peer.write(Buffer.from(p));
          await new Promise((r) => setTimeout(r, 5));
          h.peer.end();
          rig.sw.removeParticipant(h.id);
        }),
        { numRuns: 25 },
      );
      await stillWorks(rig, 'after random bytes');
      expect(rig.net.counters.handlerErrors).toBe(0);
      expect(rig.sw.counters.participants).toBe(2);
    } finally {
      await rig.close();
    }
  });
});
