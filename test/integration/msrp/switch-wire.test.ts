import { until } from './helpers';
import { CONFERENCE_URI, RawPeer, switchRig, type SwitchRig } from './switch-helpers';

/**
 * The exact bytes each receiver gets. The switch writes the head of a chunk's copies from pieces
 * shared by every receiver of the chunk (start line, Message-ID/Byte-Range/Content-Type lines)
 * around each receiver's own path lines; a copy held back behind another sender's open frame
 * must still carry its own receiver's paths when it goes out later.
 */

const AT = new Date(Date.UTC(2026, 11, 3, 20, 0, 0));
const DATE = '2026-12-03T20:00:00.000Z';

let seq = 0;

/** A raw participant on its own connection, bound to its own session; it answers every copy 200 unless `silent`. */
async function raw(rig: SwitchRig, name: string, silent = false) {
  const own = `msrp://127.0.0.1:9/${name}${++seq}x${process.pid};tcp`;
  const uri = `sip:${name}@imedge.test`;
  const local = rig.sw.addParticipant({ id: name, remotePath: [own], identity: { uri } });
  const peer = await RawPeer.open(rig.net.address!.port, () => (silent ? undefined : 200));
  const bytes: Buffer[] = [];
  peer.socket.on('data', (d: Buffer) => bytes.push(d));
  await peer.bind(local, own);
  const bound = Buffer.concat(bytes).length;
  return {
    name,
    own,
    uri,
    local,
    peer,
    /** What the switch wrote to it after the answer to its binding SEND. */
    wire: () => Buffer.concat(bytes).subarray(bound).toString('latin1'),
    head: (tid: string, headers: string) => `MSRP ${tid} SEND\r\nTo-Path: ${local}\r\nFrom-Path: ${own}\r\n${headers}\r\n\r\n`,
  };
}

/** The CPIM envelope the switch puts before a text/plain body from `uri` (RFC 3862 2, 3). */
function envelope(uri: string): string {
  return `From: <${uri}>\r\nTo: <${CONFERENCE_URI}>\r\nDateTime: ${DATE}\r\n\r\nContent-Type: text/plain\r\n\r\n`;
}

/** One copy as it must be on the wire: its receiver's paths, the switch's Message-ID (RFC 4975 7.1.1, 7.1). */
function copy(tid: string, to: string, from: string, id: string, range: string, body: string, flag: string): string {
  return `MSRP ${tid} SEND\r\nTo-Path: ${to}\r\nFrom-Path: ${from}\r\nMessage-ID: ${id}\r\nByte-Range: ${range}\r\nContent-Type: message/cpim\r\n\r\n${body}\r\n-------${tid}${flag}\r\n`;
}

/** Message-IDs of the SEND frames in `wire`, in order. */
function messageIds(wire: string): string[] {
  return [...wire.matchAll(/\r\nMessage-ID: ([^\r]+)\r\n/g)].map((m) => m[1]);
}

describe('MSRP switch: the bytes on each receiver leg', () => {
  test('RFC 4975 7.1 / 7.1.1 / RFC 3862: each receiver gets its own To-Path and From-Path, the message\'s switch Message-ID, shifted Byte-Ranges and the chunks with their end-lines; a copy held behind another sender\'s open chunk keeps its own paths', async () => {
    const rig = await switchRig(0, { switchOpts: { now: () => AT } });
    try {
      // A answers by hand: an answer of its own must not fall inside its open SEND (RFC 4975 7.1)
      const a = await raw(rig, 'alice', true);
      const b = await raw(rig, 'bob');
      const rs = [await raw(rig, 'r1'), await raw(rig, 'r2'), await raw(rig, 'r3')];
      // A's first chunk, its end-line not sent yet: every copy of it is an open frame
      a.peer.write(`${a.head('achunk01', 'Message-ID: msgA0001\r\nByte-Range: 1-10/20\r\nContent-Type: text/plain')}0123456789`);
      await until(() => rs.every((r) => r.wire().endsWith('0123456789')) && b.wire().endsWith('0123456789'), 'first chunk streaming');
      // B's whole message meanwhile: at A it goes out at once, behind A's open copies elsewhere
      b.peer.write(`${b.head('bmsg0001', 'Message-ID: msgB0001\r\nByte-Range: 1-12/12\r\nContent-Type: text/plain')}hello from B\r\n-------bmsg0001$\r\n`);
      await until(() => rig.sw.counters.framesHeld > 0, "B's copies held back");
      a.peer.write('\r\n-------achunk01+\r\n');
      await until(() => a.peer.sendsTo(a.own).length === 1, "B's copy at A");
      a.peer.write(`MSRP bmsg0001 200 OK\r\nTo-Path: ${a.local}\r\nFrom-Path: ${a.own}\r\n-------bmsg0001$\r\n`);
      await until(() => b.peer.responses('bmsg0001').length === 1, "B's 200");
      a.peer.write(`${a.head('achunk02', 'Message-ID: msgA0001\r\nByte-Range: 11-20/20\r\nContent-Type: text/plain')}abcdefghij\r\n-------achunk02$\r\n`);
      await until(() => a.peer.responses('achunk02').length === 1, "A's second 200");
      await until(() => rs.every((r) => r.peer.sendsTo(r.own).length === 3), 'three copies at each receiver');
      expect(a.peer.responses('achunk01')[0].head).toMatchObject({ status: 200 });
      expect(b.peer.responses('bmsg0001')[0].head).toMatchObject({ status: 200 });

      const envA = envelope(a.uri);
      const envB = envelope(b.uri);
      const dA = envA.length;
      const dB = envB.length;
      const [idA, idB] = messageIds(rs[0].wire());
      // the switch's own ids: never the senders', one per message, the same at every receiver
      expect(new Set([idA, idB, 'msgA0001', 'msgB0001']).size).toBe(4);
      for (const r of rs) {
        expect(r.wire()).toBe(
          copy('achunk01', r.own, r.local, idA, `1-${10 + dA}/${20 + dA}`, `${envA}0123456789`, '+') +
            copy('bmsg0001', r.own, r.local, idB, `1-${12 + dB}/${12 + dB}`, `${envB}hello from B`, '$') +
            copy('achunk02', r.own, r.local, idA, `${11 + dA}-${20 + dA}/${20 + dA}`, 'abcdefghij', '$'),
        );
      }
      // the senders get each other's message, never their own
      expect(a.wire()).toContain(copy('bmsg0001', a.own, a.local, idB, `1-${12 + dB}/${12 + dB}`, `${envB}hello from B`, '$'));
      expect(b.wire()).toContain(copy('achunk01', b.own, b.local, idA, `1-${10 + dA}/${20 + dA}`, `${envA}0123456789`, '+'));
      expect(b.wire()).toContain(copy('achunk02', b.own, b.local, idA, `${11 + dA}-${20 + dA}/${20 + dA}`, 'abcdefghij', '$'));
      expect(a.peer.sendsTo(a.own).map((f) => f.head.transactionId)).toEqual(['bmsg0001']);
      expect(rig.sw.counters.deliveries).toBe(4 * 2);
    } finally {
      await rig.close();
    }
  });
});
