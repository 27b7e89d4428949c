import { randomBytes } from 'node:crypto';
import { MsrpNet } from '../../../src/msrp/net';
import { MsrpRelay } from '../../../src/msrp/relay';
import { bindSend, RawClient, relayRig, sendText, until } from './helpers';

const tid = (): string => randomBytes(6).toString('hex');

/** A relay pair whose B side is a raw socket we drive by hand. */
async function rawBRig(transactionTimeoutMs = 30_000) {
  const relay = new MsrpRelay({ transactionTimeoutMs });
  const { port } = await relay.listen('127.0.0.1', 0);
  const netA = new MsrpNet();
  const { MsrpEndpoint } = await import('../../../src/msrp/endpoint');
  const aUri = `msrp://127.0.0.1:9/${netA.newSessionId()};tcp`;
  const bUri = 'msrp://127.0.0.1:9/rawB0001;tcp';
  const pair = relay.createPair({ a: { remotePath: [aUri] }, b: { remotePath: [bUri] } });
  const reports: { messageId: string; code: number; range: string }[] = [];
  const a = new MsrpEndpoint(netA, { localUri: aUri, remotePath: [pair.aLocal], setup: 'active' }, {
    onReport: (r) => reports.push({ messageId: r.messageId, code: r.status.code, range: `${r.byteRange?.start}-${r.byteRange?.end}/${r.byteRange?.total}` }),
  });
  await a.connect();
  const b = await RawClient.open(port);
  const bt = tid();
  b.write(bindSend(bt, pair.bLocal, bUri));
  await until(() => b.responses(bt).length === 1, 'bind answer');
  return {
    relay, pair, a, b, bUri, reports,
    async close() {
      b.end();
      await netA.close();
      await relay.close();
    },
  };
}

describe('RFC 4975 section 7.3 / RFC 6135 connection <-> session binding at the relay', () => {
  test('RFC 4975 7.3 / 10.5: a To-Path naming a session bound to another connection gets 506 and never reaches B', async () => {
    const rig = await relayRig();
    const intruder = await RawClient.open(rig.port);
    try {
      const t1 = tid();
      // B's session on the relay is bound to B's connection: the intruder may not use it
      intruder.write(sendText(t1, rig.pair.bLocal, rig.bUri, 'hijack'));
      const t2 = tid();
      intruder.write(sendText(t2, 'msrp://127.0.0.1:1/nosuchsession;tcp', rig.bUri, 'lost'));
      await until(() => intruder.responses().length === 2, 'two answers');
      // 506 Session Bound Elsewhere (outside attack: it was 481, the status for a session that does not exist)
      expect(intruder.responses(t1)[0].head).toMatchObject({ kind: 'response', status: 506 });
      expect(intruder.responses(t2)[0].head).toMatchObject({ kind: 'response', status: 481 });
      // B gets nothing; A and B still talk
      expect((await rig.a.send(Buffer.from('after'))).status).toBe(200);
      await until(() => rig.received.length === 1, 'A message at B');
      expect(rig.received.map((m) => m.body.toString())).toEqual(['after']);
      expect(rig.relay.counters.errorResponsesSent).toBeGreaterThanOrEqual(2);
    } finally {
      intruder.end();
      await rig.close();
    }
  });

  // Outside attack (session 13, F1): a connection already bound to one session sent a binding SEND
  // for a second session with the wrong From-Path; it got 481, and the second session's real owner
  // must still be able to bind it from its own connection.
  test('RFC 4975 7.3: 481 for a wrong From-Path on a connection bound to another session leaves the session free', async () => {
    const rig = await relayRig();
    const one = rig.relay.createPair({ a: { remotePath: ['msrp://127.0.0.1:9/aliceOne;tcp'] }, b: { remotePath: ['msrp://127.0.0.1:9/bobOne;tcp'] } });
    const two = rig.relay.createPair({ a: { remotePath: ['msrp://127.0.0.1:9/aliceTwo;tcp'] }, b: { remotePath: ['msrp://127.0.0.1:9/bobTwo;tcp'] } });
    const shared = await RawClient.open(rig.port);
    const owner = await RawClient.open(rig.port);
    try {
      const t1 = tid();
      shared.write(bindSend(t1, one.aLocal, 'msrp://127.0.0.1:9/aliceOne;tcp'));
      await until(() => shared.responses(t1).length === 1, 'first bind');
      expect(shared.responses(t1)[0].head).toMatchObject({ status: 200 });
      // the same connection, session two, but session one's From-Path
      const t2 = tid();
      shared.write(bindSend(t2, two.aLocal, 'msrp://127.0.0.1:9/aliceOne;tcp'));
      await until(() => shared.responses(t2).length === 1, 'refused bind');
      expect(shared.responses(t2)[0].head).toMatchObject({ status: 481 });
      // session two's owner binds it from its own connection
      const t3 = tid();
      owner.write(bindSend(t3, two.aLocal, 'msrp://127.0.0.1:9/aliceTwo;tcp'));
      await until(() => owner.responses(t3).length === 1, 'owner bind');
      expect(owner.responses(t3)[0].head).toMatchObject({ status: 200 });
      // and a correct binding SEND for a second session on a shared connection is allowed (5.4)
      const three = rig.relay.createPair({ a: { remotePath: ['msrp://127.0.0.1:9/aliceThree;tcp'] }, b: { remotePath: ['msrp://127.0.0.1:9/bobThree;tcp'] } });
      const t4 = tid();
      shared.write(bindSend(t4, three.aLocal, 'msrp://127.0.0.1:9/aliceThree;tcp'));
      await until(() => shared.responses(t4).length === 1, 'shared bind');
      expect(shared.responses(t4)[0].head).toMatchObject({ status: 200 });
    } finally {
      shared.end();
      owner.end();
      await rig.close();
    }
  });

  test('RFC 4975 7.3: a From-Path other than the negotiated peer path gets 481 and does not bind', async () => {
    const rig = await relayRig();
    const relay2 = rig.relay.createPair({ a: { remotePath: ['msrp://127.0.0.1:9/expectedA;tcp'] }, b: { remotePath: ['msrp://127.0.0.1:9/expectedB;tcp'] } });
    const c = await RawClient.open(rig.port);
    try {
      const t = tid();
      c.write(bindSend(t, relay2.aLocal, 'msrp://127.0.0.1:9/impostor;tcp'));
      await until(() => c.responses(t).length === 1, 'answer');
      expect(c.responses(t)[0].head).toMatchObject({ status: 481 });
      const t2 = tid();
      c.write(bindSend(t2, relay2.aLocal, 'msrp://127.0.0.1:9/expectedA;tcp'));
      await until(() => c.responses(t2).length === 1, 'answer');
      expect(c.responses(t2)[0].head).toMatchObject({ status: 200 });
    } finally {
      c.end();
      await rig.close();
    }
  });
});

describe('RFC 4975 7.1.2 / RFC 4976 reports through the relay', () => {
  test('RFC 4975 7.1.2: the success REPORT reaches A only after B confirmed (B generated it)', async () => {
    const rig = await relayRig();
    try {
      let bHadItWhenReported = false;
      rig.reportsAtA.length = 0;
      const r = await rig.a.send(Buffer.from('please confirm'), { successReport: 'yes' });
      expect(r.status).toBe(200);
      await until(() => rig.reportsAtA.length === 1, 'success report at A');
      bHadItWhenReported = rig.received.length === 1;
      expect(bHadItWhenReported).toBe(true);
      expect(rig.reportsAtA[0]).toMatchObject({ messageId: r.messageId, status: { code: 200 }, byteRange: { start: 1, end: 14, total: 14 } });
      expect(rig.relay.counters.reportsForwarded).toBe(1);
      expect(rig.relay.counters.failureReportsSent).toBe(0);
    } finally {
      await rig.close();
    }
  });

  test('RFC 4976 7.3: B answers 415 -> A gets a failure REPORT with Status 000 415 and no success report', async () => {
    const rig = await relayRig({}, {}, ['text/plain']);
    try {
      const r = await rig.a.send(Buffer.from('<x/>'), { contentType: 'application/xml', successReport: 'yes' });
      expect(r.status).toBe(200); // hop-by-hop: the relay accepted the chunk
      await until(() => rig.reportsAtA.length === 1, 'failure report');
      expect(rig.reportsAtA[0]).toMatchObject({ messageId: r.messageId, status: { namespace: 0, code: 415 }, byteRange: { start: 1, end: 4, total: 4 } });
      expect(rig.received).toHaveLength(0);
      expect(rig.relay.counters.failureReportsSent).toBe(1);
    } finally {
      await rig.close();
    }
  });

  test('RFC 4976 7.3: B never answers -> failure REPORT 408 after the transaction timeout', async () => {
    const rig = await rawBRig(200);
    try {
      const r = await rig.a.send(Buffer.from('into the void'));
      expect(r.status).toBe(200);
      await until(() => rig.b.requests('SEND').length === 1, 'SEND at B');
      await until(() => rig.reports.length === 1, 'failure report');
      expect(rig.reports[0]).toEqual({ messageId: r.messageId, code: 408, range: '1-13/13' });
    } finally {
      await rig.close();
    }
  });

  test('RFC 4976 7.3: B vanishes with the SEND pending -> failure REPORT 481; later SENDs are refused 481', async () => {
    const rig = await rawBRig();
    try {
      const r = await rig.a.send(Buffer.from('gone'));
      await until(() => rig.b.requests('SEND').length === 1, 'SEND at B');
      rig.b.end();
      await until(() => rig.reports.length === 1, 'failure report');
      expect(rig.reports[0]).toEqual({ messageId: r.messageId, code: 481, range: '1-4/4' });
      await until(() => rig.relay.counters.liveLegs === 1, 'B leg gone');
      expect((await rig.a.send(Buffer.from('again'))).status).toBe(481);
    } finally {
      await rig.close();
    }
  });

  test('RFC 4975 7.2: Failure-Report: no gets neither a 200 nor a failure REPORT', async () => {
    const rig = await rawBRig(200);
    try {
      const aConn = rig.a.connection!;
      const before = aConn.out.bytesOut;
      const r = await rig.a.send(Buffer.from('fire and forget'), { failureReport: 'no' });
      expect(r.status).toBe(200);
      await until(() => rig.b.requests('SEND').length === 1, 'SEND at B');
      await new Promise((res) => setTimeout(res, 400));
      expect(rig.reports).toHaveLength(0);
      expect(aConn.out.bytesOut).toBeGreaterThan(before);
      expect(rig.relay.counters.okSent).toBe(2); // only the two bind SENDs
    } finally {
      await rig.close();
    }
  });
});
