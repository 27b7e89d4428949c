import { until } from './helpers';
import { RawPeer, switchRig, type SwitchRig } from './switch-helpers';

/**
 * Attack finding F1 (group sessions): a participant that opens a chunk and trickles its body a
 * byte at a time kept its copy open on every receiver leg, and RFC 4975 5.4 lets a connection
 * carry one frame at a time, so every other sender's copies waited behind it for as long as the
 * trickle went on. The switch now cuts such a chunk after msrp frameHoldMs.
 */

let seq = 0;

async function raw(rig: SwitchRig, name: string) {
  const own = `msrp://127.0.0.1:9/${name}${++seq}x${process.pid};tcp`;
  const local = rig.sw.addParticipant({ id: name, remotePath: [own], identity: { uri: `sip:${name}@imedge.test` } });
  const peer = await RawPeer.open(rig.net.address!.port, () => 200);
  const bytes: Buffer[] = [];
  peer.socket.on('data', (d: Buffer) => bytes.push(d));
  await peer.bind(local, own);
  return {
    own,
    /** Everything the switch wrote to it. */
    wire: () => Buffer.concat(bytes).toString('latin1'),
    local,
    peer,
    head: (tid: string, headers: string) => `MSRP ${tid} SEND\r\nTo-Path: ${local}\r\nFrom-Path: ${own}\r\n${headers}\r\n\r\n`,
  };
}

describe('MSRP switch: one sender cannot hold the group back (attack finding F1)', () => {
  test('RFC 4975 5.4 / 7.1 / 10.5: a trickled chunk is refused 413 after frameHoldMs, its copies end with "#", and the other sender\'s message reaches everyone', async () => {
    const rig = await switchRig(0, { switchNet: { frameHoldMs: 300 } });
    try {
      const slow = await raw(rig, 'slow');
      const fast = await raw(rig, 'fast');
      const r = await raw(rig, 'reader');
      slow.peer.write(`${slow.head('slow0001', 'Message-ID: msgS0001\r\nByte-Range: 1-*/*\r\nContent-Type: text/plain')}partial`);
      await until(() => r.wire().endsWith('partial') && fast.wire().endsWith('partial'), 'slow chunk open at the receivers');
      fast.peer.write(`${fast.head('fast0001', 'Message-ID: msgF0001\r\nByte-Range: 1-5/5\r\nContent-Type: text/plain')}hello\r\n-------fast0001$\r\n`);
      await until(() => rig.sw.counters.framesHeld > 0, 'fast copies held behind the slow chunk');
      const trickle = setInterval(() => slow.peer.write('.'), 50);
      try {
        await until(() => r.peer.sendsTo(r.own).length === 2, 'both copies at the reader');
      } finally {
        clearInterval(trickle);
      }
      const [cut, ok] = r.peer.sendsTo(r.own);
      expect(cut.flag).toBe('#');
      expect(ok.flag).toBe('$');
      expect(ok.body.toString('latin1')).toMatch(/hello$/);
      await until(() => slow.peer.responses('slow0001').length === 1, '413 to the slow sender');
      expect(slow.peer.responses('slow0001')[0].head).toMatchObject({ status: 413 });
      expect(rig.sw.counters.framesCut).toBe(1);
      // the slow sender is not shut out: it ends the refused chunk (RFC 4975 7.1: '#') and its next message goes to the group
      slow.peer.write('\r\n-------slow0001#\r\n');
      slow.peer.write(`${slow.head('slow0002', 'Message-ID: msgS0002\r\nByte-Range: 1-4/4\r\nContent-Type: text/plain')}done\r\n-------slow0002$\r\n`);
      await until(() => r.peer.sendsTo(r.own).length === 3, 'the slow sender speaks again');
      expect(r.peer.sendsTo(r.own)[2].body.toString('latin1')).toMatch(/done$/);
      expect(rig.net.counters.handlerErrors).toBe(0);
      for (const p of [slow, fast, r]) p.peer.end();
    } finally {
      await rig.close();
    }
  });

  test('third attack F1: a chunk that streams a ring per frameHoldMs is still cut once the copies it holds waited half their transaction timeout', async () => {
    // ring 4 KiB, hold period 300 ms, transaction timeout 1.2 s: cut after 2 periods whatever the rate
    const rig = await switchRig(0, { switchNet: { frameHoldMs: 300, transactionTimeoutMs: 1200, ringBytes: 4096 }, switchOpts: { slowReceiverMs: 1000 } });
    try {
      const steady = await raw(rig, 'steady');
      const fast = await raw(rig, 'fast');
      const r = await raw(rig, 'reader');
      steady.peer.write(`${steady.head('stdy0001', 'Message-ID: msgT0001\r\nByte-Range: 1-*/*\r\nContent-Type: text/plain')}partial`);
      await until(() => r.wire().endsWith('partial'), 'steady chunk open at the receivers');
      fast.peer.write(`${fast.head('fast0001', 'Message-ID: msgF0001\r\nByte-Range: 1-5/5\r\nContent-Type: text/plain')}hello\r\n-------fast0001$\r\n`);
      await until(() => rig.sw.counters.framesHeld > 0, 'fast copies held behind the steady chunk');
      const heldAt = Date.now();
      // 2 KiB every 50 ms: 12 KiB per period, three rings' worth
      const flow = setInterval(() => steady.peer.write('x'.repeat(2048)), 50);
      try {
        await until(() => r.peer.sendsTo(r.own).length === 2, 'both copies at the reader');
      } finally {
        clearInterval(flow);
      }
      expect(Date.now() - heldAt).toBeGreaterThanOrEqual(500);
      const [cut, ok] = r.peer.sendsTo(r.own);
      expect(cut.flag).toBe('#');
      expect(ok.flag).toBe('$');
      await until(() => steady.peer.responses('stdy0001').length === 1, '413 to the steady sender');
      expect(steady.peer.responses('stdy0001')[0].head).toMatchObject({ status: 413 });
      expect(rig.sw.counters.framesCut).toBe(1);
      for (const p of [steady, fast, r]) p.peer.end();
    } finally {
      await rig.close();
    }
  });

  test('third attack F2: msrp.maxMessageSize bounds a group message: a Byte-Range above it is refused 413, an open-ended chunk is cut with "#" where it passes it', async () => {
    const rig = await switchRig(0, { switchNet: { maxMessageSize: 2048 } });
    try {
      const s = await raw(rig, 'big');
      const r = await raw(rig, 'reader');
      // the declared total says it: refused at the head, nothing goes to the group
      s.peer.write(`${s.head('big00001', 'Message-ID: msgB0001\r\nByte-Range: 1-10/5000\r\nContent-Type: text/plain')}0123456789\r\n-------big00001$\r\n`);
      await until(() => s.peer.responses('big00001').length === 1, 'answer to the declared-too-large chunk');
      expect(s.peer.responses('big00001')[0].head).toMatchObject({ status: 413 });
      expect(r.peer.sendsTo(r.own)).toHaveLength(0);
      // open-ended: the copy is cut where the bytes pass 2048
      s.peer.write(`${s.head('big00002', 'Message-ID: msgB0002\r\nByte-Range: 1-*/*\r\nContent-Type: text/plain')}${'y'.repeat(1500)}`);
      await until(() => r.wire().includes('y'.repeat(1500)), 'first part relayed');
      s.peer.write('y'.repeat(1500));
      await until(() => s.peer.responses('big00002').length === 1, '413 once the message passed the limit');
      expect(s.peer.responses('big00002')[0].head).toMatchObject({ status: 413 });
      await until(() => r.peer.sendsTo(r.own).length === 1, 'the cut copy at the reader');
      expect(r.peer.sendsTo(r.own)[0].flag).toBe('#');
      s.peer.write('\r\n-------big00002#\r\n');
      // a message of exactly the limit goes through
      const body = 'z'.repeat(2048);
      s.peer.write(`${s.head('big00003', 'Message-ID: msgB0003\r\nByte-Range: 1-2048/2048\r\nContent-Type: text/plain')}${body}\r\n-------big00003$\r\n`);
      await until(() => r.peer.sendsTo(r.own).length === 2, 'the message of the limit delivered');
      expect(r.peer.sendsTo(r.own)[1].flag).toBe('$');
      expect(r.peer.sendsTo(r.own)[1].body.toString('latin1').endsWith(body)).toBe(true);
      expect(rig.sw.counters.oversizeRefused).toBe(2);
      expect(rig.net.counters.handlerErrors).toBe(0);
      for (const p of [s, r]) p.peer.end();
    } finally {
      await rig.close();
    }
  });

  test('msrp.maxMessageSize: a later chunk whose Byte-Range passes it drops its open message too (none left open at the sender)', async () => {
    const rig = await switchRig(0, { switchNet: { maxMessageSize: 2048 } });
    try {
      const s = await raw(rig, 'later');
      const r = await raw(rig, 'reader');
      s.peer.write(`${s.head('lat00001', 'Message-ID: msgL0001\r\nByte-Range: 1-10/*\r\nContent-Type: text/plain')}0123456789\r\n-------lat00001+\r\n`);
      await until(() => s.peer.responses('lat00001').length === 1 && rig.sw.counters.openMessages === 1, 'the first chunk taken, its message open');
      s.peer.write(`${s.head('lat00002', 'Message-ID: msgL0001\r\nByte-Range: 3001-3010/*\r\nContent-Type: text/plain')}0123456789\r\n-------lat00002$\r\n`);
      await until(() => s.peer.responses('lat00002').length === 1, 'answer to the chunk beyond the limit');
      expect(s.peer.responses('lat00002')[0].head).toMatchObject({ status: 413 });
      expect(rig.sw.counters.openMessages).toBe(0);
      for (const p of [s, r]) p.peer.end();
    } finally {
      await rig.close();
    }
  });
});
