/**
 * Issue 16, endpoint side: the same bug class as the relay's (an encoder throwing on a value
 * that came from the peer), and the handler boundary around an endpoint's callbacks.
 */
import { MsrpEndpoint, type ReceivedMessage } from '../../../src/msrp/endpoint';
import { MsrpNet } from '../../../src/msrp/net';
import { parseByteRange, parseStatus } from '../../../src/msrp/wire';
import { headerOf, RawClient, until } from './helpers';

/** A passive endpoint listening on loopback, and a raw peer bound to its session (RFC 6135). */
async function passiveEndpoint(onMessage: (m: ReceivedMessage) => void = () => undefined) {
  const net = new MsrpNet();
  const { port } = await net.listen('127.0.0.1', 0);
  const local = net.localUri();
  const peerUri = `msrp://127.0.0.1:9/${net.newSessionId()};tcp`;
  const ep = new MsrpEndpoint(net, { localUri: local, remotePath: [peerUri], setup: 'passive' }, { onMessage });
  const peer = await RawClient.open(port);
  return { net, ep, peer, local, peerUri };
}

function chunk(tid: string, to: string, from: string, range: string, body: string, flag: '$' | '+'): string {
  return (
    `MSRP ${tid} SEND\r\nTo-Path: ${to}\r\nFrom-Path: ${from}\r\nMessage-ID: dup00001\r\n` +
    `Byte-Range: ${range}\r\nContent-Type: text/plain\r\n\r\n${body}\r\n-------${tid}${flag}\r\n`
  );
}

describe('issue 16: the MSRP endpoint never throws on peer values (RFC 4975 7.1.2, 7.3)', () => {
  test('RFC 4975 7.1.2: a chunk sent twice, then bytes beyond the total -> 413 and a failure REPORT within the total', async () => {
    const s = await passiveEndpoint();
    try {
      s.peer.write(chunk('dupc0001', s.local, s.peerUri, '1-5/5', 'hello', '+'));
      s.peer.write(chunk('dupc0002', s.local, s.peerUri, '1-5/5', 'hello', '+'));
      s.peer.write(chunk('dupc0003', s.local, s.peerUri, '3-*/5', '0123456789', '$'));
      await until(() => s.peer.requests('REPORT').length === 1, 'failure REPORT');
      expect(s.peer.responses().map((r) => (r.head.kind === 'response' ? r.head.status : 0))).toEqual([200, 200, 413]);
      const report = s.peer.requests('REPORT')[0];
      // 10 bytes were received for a 5-byte message: the report covers 1-5/5, not 1-10/5
      expect(parseByteRange(headerOf(report, 'Byte-Range') as string)).toEqual({ start: 1, end: 5, total: 5 });
      expect(parseStatus(headerOf(report, 'Status') as string)).toMatchObject({ code: 413 });
      expect(s.net.counters.handlerErrors).toBe(0);
      expect(s.peer.closed).toBe(false);
    } finally {
      s.peer.end();
      await s.net.close();
    }
  });

  test('RFC 4975 7.3: Byte-Range 1-*/0 with a 5-byte body is answered 413, the endpoint stays up', async () => {
    const s = await passiveEndpoint();
    try {
      s.peer.write(chunk('zero0001', s.local, s.peerUri, '1-*/0', 'hello', '$'));
      await until(() => s.peer.responses().length === 1, 'answer');
      expect(s.peer.responses()[0].head).toMatchObject({ status: 413 });
      expect(s.net.counters.handlerErrors).toBe(0);
    } finally {
      s.peer.end();
      await s.net.close();
    }
  });

  test('a session callback that throws closes that connection only and is counted (handlerErrors)', async () => {
    const bad = await passiveEndpoint(() => {
      throw new Error('application bug');
    });
    const net = bad.net;
    // a second session on the same net, with its own connection, must not notice
    const goodUri = net.localUri();
    const goodPeerUri = `msrp://127.0.0.1:9/${net.newSessionId()};tcp`;
    const got: ReceivedMessage[] = [];
    new MsrpEndpoint(net, { localUri: goodUri, remotePath: [goodPeerUri], setup: 'passive' }, { onMessage: (m) => got.push(m) });
    const goodPeer = await RawClient.open(net.address!.port);
    try {
      bad.peer.write(chunk('boom0001', bad.local, bad.peerUri, '1-5/5', 'hello', '$'));
      await until(() => bad.peer.closed, 'the offending connection closed');
      expect(net.counters.handlerErrors).toBe(1);
      goodPeer.write(chunk('fine0001', goodUri, goodPeerUri, '1-5/5', 'hello', '$'));
      await until(() => got.length === 1, 'message on the other connection');
      expect(goodPeer.closed).toBe(false);
    } finally {
      goodPeer.end();
      await net.close();
    }
  });
});
