// RFC 3261 8.2.2.2: an INVITE without a To tag whose Call-ID, From tag and CSeq match an INVITE
// still pending here, arriving with another branch (forked upstream and merged back), is
// answered 482; the pending one is untouched, and once it is answered the identity is free.
// Outside attack finding 9: such a copy opened a second session and a second INVITE to the callee.
import * as dgram from 'node:dgram';
import { Writable } from 'node:stream';
import { SipStack, type IncomingRequest } from '../../../src/sip/stack';
import { createLogger } from '../../../src/log';
import { parseWire, rid, type WireMessage } from '../../helpers/sip-peer';

const quiet = () => createLogger({ level: 'error', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function socket() {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const got: WireMessage[] = [];
  sock.on('message', (buf) => {
    const m = parseWire(buf);
    if (m !== undefined) got.push(m);
  });
  return { sock, port: sock.address().port, got };
}

function invite(stackPort: number, viaPort: number, id: { callId: string; fromTag: string; cseq: number }, branch: string): string {
  return [
    `INVITE sip:bob@127.0.0.1:${stackPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${viaPort};branch=${branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:alice@localhost>;tag=${id.fromTag}`,
    'To: <sip:bob@localhost>',
    `Call-ID: ${id.callId}`,
    `CSeq: ${id.cseq} INVITE`,
    `Contact: <sip:alice@127.0.0.1:${viaPort}>`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

describe('RFC 3261 8.2.2.2: merged requests', () => {
  test('a second copy of a pending INVITE with another branch gets 482; the first goes on; after its answer the identity is free', async () => {
    const held: IncomingRequest[] = [];
    const stack = await SipStack.start(
      { bind: '127.0.0.1', port: 0, udp: true, tcp: false, maxBytesHeaders: 16384, maxContentLength: 65536, maxTransactions: 64, overloadRetryAfterS: 5, logger: quiet() },
      (r) => void held.push(r),
    );
    const a = await socket();
    const b = await socket();
    try {
      const id = { callId: `${rid()}@merged`, fromTag: `f${rid()}`, cseq: 1 };
      a.sock.send(invite(stack.port, a.port, id, `z9hG4bK${rid()}`), stack.port, '127.0.0.1');
      await sleep(100);
      expect(held).toHaveLength(1);
      b.sock.send(invite(stack.port, b.port, id, `z9hG4bK${rid()}`), stack.port, '127.0.0.1');
      await sleep(150);
      expect(b.got.map((m) => m.status)).toEqual([482]);
      expect(held).toHaveLength(1); // the handler never saw the merged copy
      expect(stack.stats.mergedRefused).toBe(1);
      // another CSeq is another request, not a merged one
      b.sock.send(invite(stack.port, b.port, { ...id, cseq: 2 }, `z9hG4bK${rid()}`), stack.port, '127.0.0.1');
      await sleep(100);
      expect(held).toHaveLength(2);
      held[1]!.reply(486);
      held[0]!.reply(486);
      await sleep(100);
      expect(a.got.map((m) => m.status).filter((s) => s! >= 200)).toEqual([486]);
      // answered: a new transaction with the same identity is served (a retry, not a merge)
      a.sock.send(invite(stack.port, a.port, id, `z9hG4bK${rid()}`), stack.port, '127.0.0.1');
      await sleep(100);
      expect(held).toHaveLength(3);
      held[2]!.reply(486);
    } finally {
      a.sock.close();
      b.sock.close();
      await stack.close();
    }
  });
});
