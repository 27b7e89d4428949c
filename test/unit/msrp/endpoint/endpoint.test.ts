import { randomBytes } from 'node:crypto';
import { MsrpEndpoint, type ReceivedMessage, type ReceivedReport } from '../../../../src/msrp/endpoint';
import { MsrpNet, type MsrpNetOptions } from '../../../../src/msrp/net';

const until = async (cond: () => boolean, what: string): Promise<void> => {
  const end = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** A (passive, listening) and B (active, dials A and binds with an empty SEND): RFC 6135. */
async function direct(aOpts: Partial<MsrpNetOptions> = {}, bOpts: Partial<MsrpNetOptions> = {}, aAccept?: string[]) {
  const netA = new MsrpNet(aOpts);
  await netA.listen('127.0.0.1', 0);
  const netB = new MsrpNet(bOpts);
  const aUri = netA.localUri();
  const bUri = `msrp://127.0.0.1:9/${netB.newSessionId()};tcp`;
  const atA: ReceivedMessage[] = [];
  const atB: ReceivedMessage[] = [];
  const reportsAtA: ReceivedReport[] = [];
  const reportsAtB: ReceivedReport[] = [];
  const a = new MsrpEndpoint(netA, { localUri: aUri, remotePath: [bUri], setup: 'passive', acceptTypes: aAccept }, {
    onMessage: (m) => atA.push(m),
    onReport: (r) => reportsAtA.push(r),
  });
  const b = new MsrpEndpoint(netB, { localUri: bUri, remotePath: [aUri], setup: 'active' }, {
    onMessage: (m) => atB.push(m),
    onReport: (r) => reportsAtB.push(r),
  });
  await b.connect();
  return { netA, netB, a, b, atA, atB, reportsAtA, reportsAtB, close: async () => { await netB.close(); await netA.close(); } };
}

describe('MSRP endpoint (RFC 4975 section 7)', () => {
  test('RFC 4975 7.1.1: a message is sent in maxChunkSize chunks and reassembled byte-exact', async () => {
    const t = await direct({}, { maxChunkSize: 64 * 1024 });
    try {
      const body = randomBytes(300 * 1024);
      const r = await t.b.send(body, { contentType: 'application/octet-stream' });
      expect(r).toMatchObject({ status: 200, chunks: 5 });
      await until(() => t.atA.length === 1, 'message at A');
      expect(t.atA[0].body.equals(body)).toBe(true);
      expect(t.atA[0].contentType).toBe('application/octet-stream');
    } finally {
      await t.close();
    }
  });

  test('RFC 4975 7.1.2: Success-Report yes yields a REPORT with Byte-Range 1-N/N and Status 000 200', async () => {
    const t = await direct();
    try {
      const r = await t.b.send(Buffer.from('hello €'), { successReport: 'yes' });
      await until(() => t.reportsAtB.length === 1, 'report at B');
      expect(t.reportsAtB[0]).toEqual({ messageId: r.messageId, status: { namespace: 0, code: 200, reason: 'OK' }, byteRange: { start: 1, end: 9, total: 9 } });
    } finally {
      await t.close();
    }
  });

  test('RFC 4975 7.3: a message above maxMessageSize gets 413', async () => {
    const t = await direct({ maxMessageSize: 1000 });
    try {
      expect((await t.b.send(randomBytes(2000))).status).toBe(413);
      expect((await t.b.send(randomBytes(500))).status).toBe(200);
      await until(() => t.atA.length === 1, 'small message');
      expect(t.atA[0].body).toHaveLength(500);
    } finally {
      await t.close();
    }
  });

  test('RFC 4975 7.3: a content type outside the negotiated accept-types gets 415', async () => {
    const t = await direct({}, {}, ['text/plain', 'message/*']);
    try {
      expect((await t.b.send(Buffer.from('x'), { contentType: 'image/png' })).status).toBe(415);
      expect((await t.b.send(Buffer.from('x'), { contentType: 'message/cpim' })).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  test('RFC 4975 7.2: Failure-Report no is never answered (the sender does not wait)', async () => {
    const t = await direct();
    try {
      const before = t.netA.counters.framesOut;
      expect((await t.b.send(Buffer.from('quiet'), { failureReport: 'no' })).status).toBe(200);
      await until(() => t.atA.length === 1, 'message');
      expect(t.netA.counters.framesOut).toBe(before);
    } finally {
      await t.close();
    }
  });

  test('RFC 4975 7.1.1: a long SEND is interrupted with "+" so a response overtakes it', async () => {
    const t = await direct({ ringBytes: 64 * 1024, maxChunkSize: 64 * 1024 * 1024, maxMessageSize: 64 * 1024 * 1024 });
    try {
      const big = randomBytes(16 * 1024 * 1024);
      const sending = t.a.send(big, { contentType: 'application/octet-stream' });
      // while A streams its one big chunk, B sends a SEND: A's 200 must not wait for the end
      const small = await t.b.send(Buffer.from('overtake'));
      expect(small.status).toBe(200);
      const r = await sending;
      expect(r.status).toBe(200);
      expect(r.chunks).toBeGreaterThan(1);
      await until(() => t.atB.length === 1, 'big message at B');
      expect(t.atB[0].body.equals(big)).toBe(true);
    } finally {
      await t.close();
    }
  });
});
