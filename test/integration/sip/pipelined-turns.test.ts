// Attack finding (second limits attack, F3): 1,000 REGISTERs pipelined on each of 4 TCP
// connections were handled in one go (libuv reads up to 32 chunks per socket per turn), and an
// OPTIONS from anyone else waited up to 10 s. The stream framer now hands on a bounded number of
// messages per event-loop turn and goes on in the next, so other sockets are served in between.
// The order of handling is what is asserted, not a time.
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { SipStack } from '../../../src/sip/stack';
import { silentLogger } from '../../../src/log';
import { rid } from '../../helpers/sip-peer';

const PIPELINED = 400;

const options = (transport: 'TCP' | 'UDP', port: number, tag: string): string =>
  `OPTIONS sip:localhost SIP/2.0\r\nVia: SIP/2.0/${transport} 127.0.0.1:${port};branch=z9hG4bK${rid()};rport\r\nMax-Forwards: 70\r\n` +
  `From: <sip:${tag}@localhost>;tag=${rid()}\r\nTo: <sip:localhost>\r\nCall-ID: ${rid()}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;

test('F3: a UDP request that arrives while 400 pipelined TCP requests wait is handled before the last of them', async () => {
  const order: string[] = [];
  let probe: (() => void) | undefined;
  const stack = await SipStack.start(
    { bind: '127.0.0.1', port: 0, udp: true, tcp: true, maxBytesHeaders: 16384, maxContentLength: 65536, maxTransactions: 4096, overloadRetryAfterS: 5, logger: silentLogger() },
    (r) => {
      order.push(r.flow.protocol);
      r.reply(200);
      // the first pipelined one is being handled: now someone else's datagram arrives
      if (r.flow.protocol === 'TCP' && probe) {
        probe();
        probe = undefined;
      }
    },
  );
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
  const tcp = net.connect(stack.port, '127.0.0.1');
  await new Promise<void>((r) => tcp.once('connect', () => r()));
  try {
    let got = '';
    tcp.on('data', (d: Buffer) => (got += d.toString('latin1')));
    const answers = (): number => got.split('SIP/2.0 200 ').length - 1;
    const udpAnswered = new Promise<void>((r) => udp.once('message', () => r()));
    probe = () => udp.send(options('UDP', udp.address().port, 'probe'), stack.port, '127.0.0.1');
    const blob = Array.from({ length: PIPELINED }, () => options('TCP', tcp.localPort ?? 0, 'pipe')).join('');
    tcp.write(blob);
    await udpAnswered;
    for (let i = 0; i < 500 && answers() < PIPELINED; i++) await new Promise((r) => setTimeout(r, 10));
    expect(answers()).toBe(PIPELINED);
    const at = order.indexOf('UDP');
    expect(at).toBeGreaterThan(0);
    // before: every pipelined request was handled first (the datagram came 401st)
    expect(at).toBeLessThan(PIPELINED);
  } finally {
    tcp.destroy();
    udp.close();
    await stack.close();
  }
});
