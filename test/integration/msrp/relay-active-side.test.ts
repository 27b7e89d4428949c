// The relay's active side (RFC 6135 section 4; RFC 4975 5.4 for a peer without a=setup): it
// dials the first URI of a peer's path, binds with an empty SEND, and relays both ways over
// that connection. Real loopback sockets; the peer is a raw MSRP endpoint written in the test.
import { MsrpNet } from '../../../src/msrp/net';
import { MsrpEndpoint, type ReceivedMessage } from '../../../src/msrp/endpoint';
import { MsrpRelay } from '../../../src/msrp/relay';
import { RawMsrpPeer } from '../../helpers/msrp-peer';
import { bindSend, headerOf, RawClient, until } from './helpers';

async function start(opts: ConstructorParameters<typeof MsrpRelay>[0] = {}) {
  const legsDown: string[] = [];
  const relay = new MsrpRelay({ transactionTimeoutMs: 5000, ...opts }, { onLegDown: (id, side) => legsDown.push(`${id}:${side}`) });
  const { port } = await relay.listen('127.0.0.1', 0);
  const netA = new MsrpNet();
  const aUri = `msrp://127.0.0.1:9/${netA.newSessionId()};tcp`;
  return { relay, port, netA, aUri, legsDown };
}

test('RFC 6135 4 / RFC 4975 5.4: the active side dials the peer path, binds with an empty SEND, and messages cross both ways byte-exact', async () => {
  const { relay, netA, aUri, legsDown } = await start();
  const peer = await RawMsrpPeer.listen();
  try {
    const pair = relay.createPair({ a: { remotePath: [aUri] }, b: { remotePath: [peer.uri] } });
    const gotA: ReceivedMessage[] = [];
    const a = new MsrpEndpoint(netA, { localUri: aUri, remotePath: [pair.aLocal], setup: 'active' }, { onMessage: (m) => gotA.push(m) });
    await a.connect();
    expect(await relay.connectSide(pair.id, 'b', 2000)).toBe('connected');
    // RFC 4975 5.4: the binding SEND has no body, goes to the peer's path, comes from our URI
    expect(peer.bindSends).toHaveLength(1);
    const bind = peer.bindSends[0];
    expect(bind.head.kind === 'request' && bind.head.hasBody).toBe(false);
    expect(headerOf(bind, 'To-Path')).toBe(peer.uri);
    expect(headerOf(bind, 'From-Path')).toBe(pair.bLocal);
    expect(relay.isConnected(pair.id)).toBe(true);

    const toPeer = Buffer.from('héllo → peer ✓ \r\n-------notanend$\r\n', 'utf8');
    expect((await a.send(toPeer, { contentType: 'text/plain' })).status).toBe(200);
    await peer.until(() => peer.messages.length === 1, 'message at the peer');
    expect(peer.messages[0].body.equals(toPeer)).toBe(true);
    expect(headerOf(peer.messages[0].frame, 'From-Path')).toBe(pair.bLocal);

    const toA = Buffer.from([0, 1, 2, 0xff, 0xfe, 13, 10, 45]);
    expect(await peer.send(toA, 'application/octet-stream')).toBe(200);
    await until(() => gotA.length === 1, 'message at A');
    expect(gotA[0].body.equals(toA)).toBe(true);
    expect(relay.counters.connectsOut).toBe(1);

    relay.releasePair(pair.id);
    await until(() => relay.counters.connectionsLive === 0, 'connections closed');
    expect(legsDown).toEqual([]);
  } finally {
    await peer.close();
    await netA.close();
    await relay.close();
  }
});

test('RFC 6135 4: a side imedge dials is never bound by an inbound request (481)', async () => {
  const { relay, port, netA, aUri } = await start();
  try {
    const pair = relay.createPair({ a: { remotePath: [aUri] }, b: { remotePath: ['msrp://127.0.0.1:9/x;tcp'], setup: 'active' } });
    const c = await RawClient.open(port);
    c.write(bindSend('tact1', pair.bLocal, 'msrp://127.0.0.1:9/x;tcp'));
    await until(() => c.responses('tact1').length === 1, 'answer');
    const h = c.responses('tact1')[0].head;
    expect(h.kind === 'response' && h.status).toBe(481);
    c.end();
  } finally {
    await netA.close();
    await relay.close();
  }
});

test.each([
  ['refused', async () => ({ uri: await RawMsrpPeer.refusingUri(), peer: undefined as RawMsrpPeer | undefined })],
  ['rejected', async () => {
    const peer = await RawMsrpPeer.listen();
    peer.answerStatus = 403;
    return { uri: peer.uri, peer };
  }],
  ['timeout', async () => {
    const peer = await RawMsrpPeer.listen();
    peer.answerStatus = 0;
    return { uri: peer.uri, peer };
  }],
] as const)('a peer that ends in %s: connectSide says so, the connection is closed, no leg is reported down', async (outcome, make) => {
  const { relay, netA, aUri, legsDown } = await start();
  const { uri, peer } = await make();
  try {
    const pair = relay.createPair({ a: { remotePath: [aUri] }, b: { remotePath: [uri] } });
    expect(await relay.connectSide(pair.id, 'b', 400)).toBe(outcome);
    expect(relay.counters.connectsFailed).toBe(1);
    await until(() => relay.counters.connectionsLive === 0, 'no connection left');
    if (peer) await peer.until(() => peer.closedConnections === 1, 'peer sees the close');
    expect(legsDown).toEqual([]);
    expect(relay.isConnected(pair.id)).toBe(false);
    relay.releasePair(pair.id);
    expect(relay.counters.livePairs).toBe(0);
  } finally {
    await peer?.close();
    await netA.close();
    await relay.close();
  }
});

test('at the MSRP connection limit connectSide answers "limit" at once and dials nothing (counted)', async () => {
  const { relay, netA, aUri } = await start({ maxConnections: 1 });
  const peer = await RawMsrpPeer.listen();
  try {
    const pair = relay.createPair({ a: { remotePath: [aUri] }, b: { remotePath: [peer.uri] } });
    const a = new MsrpEndpoint(netA, { localUri: aUri, remotePath: [pair.aLocal], setup: 'active' });
    await a.connect();
    expect(relay.net.connectionRoom).toBe(0);
    const rejectedBefore = relay.counters.connectionsRejected;
    expect(await relay.connectSide(pair.id, 'b', 5000)).toBe('limit');
    expect(relay.counters.connectionsRejected).toBe(rejectedBefore + 1);
    expect(peer.connections).toHaveLength(0);
    expect(relay.counters.connectionsLive).toBe(1);
  } finally {
    await peer.close();
    await netA.close();
    await relay.close();
  }
});

test('attack finding: at the MSRP connection limit a dial evicts the oldest inbound connection that binds no session (counted) and connects', async () => {
  const { relay, port } = await start({ maxConnections: 1, bindTimeoutMs: 60_000 });
  const peer = await RawMsrpPeer.listen();
  const idle = await RawClient.open(port);
  try {
    await until(() => relay.counters.connectionsLive === 1, 'idle connection accepted');
    expect(relay.net.connectionRoom).toBe(1);
    const pair = relay.createPair({ a: { remotePath: ['msrp://127.0.0.1:9/a;tcp'] }, b: { remotePath: [peer.uri] } });
    expect(await relay.connectSide(pair.id, 'b', 5000)).toBe('connected');
    await until(() => idle.closed, 'idle connection evicted');
    expect(relay.counters).toMatchObject({ connectionsEvicted: 1, connectionsRejected: 0, connectionsLive: 1 });
    // the dialled connection carries a session now: nothing left to evict
    expect(relay.net.connectionRoom).toBe(0);
  } finally {
    idle.end();
    await peer.close();
    await relay.close();
  }
});

test('a dial under way holds a connection slot: an accept beyond the limit is refused meanwhile', async () => {
  const { relay, port } = await start({ maxConnections: 1 });
  const peer = await RawMsrpPeer.listen();
  peer.answerStatus = 0;
  try {
    const pair = relay.createPair({ a: { remotePath: ['msrp://127.0.0.1:9/a;tcp'] }, b: { remotePath: [peer.uri] } });
    const pending = relay.connectSide(pair.id, 'b', 300);
    const c = await RawClient.open(port);
    await until(() => c.closed, 'accept refused');
    expect(await pending).toBe('timeout');
    expect(relay.net.connectionRoom).toBe(1);
  } finally {
    await peer.close();
    await relay.close();
  }
});

test('a pair released while its side is being dialled: "released", nothing left behind', async () => {
  const { relay } = await start();
  const peer = await RawMsrpPeer.listen();
  peer.answerStatus = 0;
  try {
    const pair = relay.createPair({ a: { remotePath: ['msrp://127.0.0.1:9/a;tcp'] }, b: { remotePath: [peer.uri] } });
    const pending = relay.connectSide(pair.id, 'b', 5000);
    await peer.until(() => peer.bindSends.length === 1, 'binding SEND');
    relay.releasePair(pair.id);
    expect(await pending).toBe('released');
    await until(() => relay.counters.connectionsLive === 0, 'no connection left');
  } finally {
    await peer.close();
    await relay.close();
  }
});
