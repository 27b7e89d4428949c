/**
 * The group switch, like the relay (relay-aborted-chunk.test.ts): a SEND chunk whose end-line
 * flag is '#' (the sender aborts the message, RFC 4975 7.1) is still a transaction and gets its
 * hop-by-hop 200 (RFC 4975 7.2). Before, the switch answered every chunk but the '#' one, so
 * the sender's transaction timed out on every abort. Real loopback sockets, raw participants.
 */
import { until } from './helpers';
import { RawPeer, switchRig, type SwitchRig } from './switch-helpers';

let seq = 0;

async function raw(rig: SwitchRig, name: string) {
  const own = `msrp://127.0.0.1:9/${name}${++seq}x${process.pid};tcp`;
  const local = rig.sw.addParticipant({ id: name, remotePath: [own], identity: { uri: `sip:${name}@imedge.test` } });
  const peer = await RawPeer.open(rig.net.address!.port);
  await peer.bind(local, own);
  const chunk = (tid: string, mid: string, range: string, type: string, body: string, flag: '+' | '$' | '#'): string =>
    `MSRP ${tid} SEND\r\nTo-Path: ${local}\r\nFrom-Path: ${own}\r\nMessage-ID: ${mid}\r\nByte-Range: ${range}\r\n` +
    `Content-Type: ${type}\r\n\r\n${body}\r\n-------${tid}${flag}\r\n`;
  return { own, peer, chunk };
}

describe("RFC 4975 7.1 / 7.2: the switch answers a chunk aborted with '#'", () => {
  let rig: SwitchRig;
  beforeEach(async () => {
    rig = await switchRig(0);
  });
  afterEach(async () => {
    await rig.close();
  });

  test("RFC 4975 7.2: A's '+' and '#' chunks both get 200, B's copy ends '#', and A's next message flows", async () => {
    const a = await raw(rig, 'alice');
    const b = await raw(rig, 'bob');
    a.peer.write(a.chunk('sab00001', 'mab1', '1-5/10', 'text/plain', 'AAAAA', '+'));
    a.peer.write(a.chunk('sab00002', 'mab1', '6-10/10', 'text/plain', 'BBBBB', '#'));
    await until(() => a.peer.responses('sab00001').length === 1 && a.peer.responses('sab00002').length === 1, "answers to the '+' and '#' chunks");
    expect(a.peer.responses('sab00001')[0].head).toMatchObject({ kind: 'response', status: 200 });
    expect(a.peer.responses('sab00002')[0].head).toMatchObject({ kind: 'response', status: 200 });
    await until(() => b.peer.sendsTo(b.own).some((f) => f.flag === '#'), "B's copy ends '#'");
    a.peer.write(a.chunk('sab00003', 'mab2', '1-5/5', 'text/plain', 'after', '$'));
    await until(() => a.peer.responses('sab00003').length === 1, 'answer to the next message');
    expect(a.peer.responses('sab00003')[0].head).toMatchObject({ status: 200 });
    await until(() => b.peer.sendsTo(b.own).some((f) => f.flag === '$' && f.body.toString('latin1').endsWith('after')), 'next message at B');
    // one answer each, no failure REPORT for the abort the sender chose
    await new Promise((r) => setTimeout(r, 100));
    expect(a.peer.responses()).toHaveLength(4); // bind + three chunks
    expect(a.peer.requests('REPORT')).toHaveLength(0);
    expect(rig.net.counters.handlerErrors).toBe(0);
    a.peer.end();
    b.peer.end();
  });

  test("RFC 4975 7.2: a message/cpim chunk aborted before its CPIM headers ended gets 200 and nothing reaches B", async () => {
    const a = await raw(rig, 'carol');
    const b = await raw(rig, 'dave');
    a.peer.write(a.chunk('sab00010', 'mab3', '1-*/*', 'message/cpim', 'From: <sip:carol@imedge.test>\r\nTo: <sip:x@y', '#'));
    await until(() => a.peer.responses('sab00010').length === 1, "answer to the '#' chunk");
    expect(a.peer.responses('sab00010')[0].head).toMatchObject({ status: 200 });
    await new Promise((r) => setTimeout(r, 100));
    expect(b.peer.sendsTo(b.own)).toHaveLength(0);
    a.peer.end();
    b.peer.end();
  });
});
