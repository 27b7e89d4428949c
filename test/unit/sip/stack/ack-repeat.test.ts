import { AckMemory, ackKeyOf, MAX_REPEATS_PER_ACK } from '../../../../src/sip/stack/ack-repeat';
import type * as sip from 'sip';

const msg = (callId: string, seq: number, tag: string | undefined, status?: number): sip.RawMessage =>
  ({ ...(status !== undefined ? { status } : { method: 'ACK' }), headers: { 'call-id': callId, cseq: { seq, method: status ? 'INVITE' : 'ACK' }, to: { uri: 'sip:b@x', params: tag === undefined ? {} : { tag } }, via: [{ params: { branch: 'z9hG4bKone' } }] } }) as unknown as sip.RawMessage;

describe('AckMemory: the ACK sent for a 2xx, for 64*T1 (RFC 3261 13.2.2.4, RFC 6026 Timer M)', () => {
  test('a 2xx with the same Call-ID, CSeq number and To tag finds the ACK; another tag or CSeq does not', () => {
    const m = new AckMemory<string>(32_000, 10);
    m.remember(msg('c1', 5, 't1'), 'the ack', undefined);
    expect(m.forResponse(msg('c1', 5, 't1', 200))).toEqual({ kind: 'repeat', sent: expect.objectContaining({ ack: 'the ack' }) });
    expect(m.forResponse(msg('c1', 5, 't2', 200)).kind).toBe('unknown');
    expect(m.forResponse(msg('c1', 6, 't1', 200)).kind).toBe('unknown');
    expect(m.forResponse(msg('c2', 5, 't1', 200)).kind).toBe('unknown');
  });

  test('at most MAX_REPEATS_PER_ACK copies of one 2xx are ACKed again; the rest are withheld', () => {
    const m = new AckMemory<string>(32_000, 10);
    m.remember(msg('c1', 5, 't1'), 'the ack', undefined);
    for (let i = 0; i < MAX_REPEATS_PER_ACK; i++) expect(m.forResponse(msg('c1', 5, 't1', 200)).kind).toBe('repeat');
    expect(m.forResponse(msg('c1', 5, 't1', 200)).kind).toBe('withheld');
    // a legitimate UAS resends about 10 times in 64*T1 (T1 doubling to T2): all of them are ACKed
    expect(MAX_REPEATS_PER_ACK).toBeGreaterThanOrEqual(11);
  });

  test('forgotten after its lifetime, and pruned when a new one is remembered', () => {
    let now = 0;
    const m = new AckMemory<string>(32_000, 10, () => now);
    m.remember(msg('c1', 1, 't'), 'a', undefined);
    now = 31_999;
    expect(m.forResponse(msg('c1', 1, 't', 200)).kind).toBe('repeat');
    now = 32_000;
    m.remember(msg('c2', 1, 't'), 'b', undefined);
    expect(m.size).toBe(1);
    expect(m.forResponse(msg('c1', 1, 't', 200)).kind).toBe('unknown');
  });

  test('bounded: beyond max the oldest is dropped and counted', () => {
    let reported = 0;
    const m = new AckMemory<string>(32_000, 2, Date.now, () => reported++);
    for (const c of ['a', 'b', 'c']) m.remember(msg(c, 1, 't'), c, undefined);
    expect(m.size).toBe(2);
    expect(m.evicted).toBe(1);
    expect(reported).toBe(1);
    expect(m.forResponse(msg('a', 1, 't', 200)).kind).toBe('unknown');
    expect(m.forResponse(msg('c', 1, 't', 200))).toEqual({ kind: 'repeat', sent: expect.objectContaining({ ack: 'c' }) });
  });

  test('a message without a To tag, Call-ID or numeric CSeq has no key and is never remembered', () => {
    expect(ackKeyOf(msg('c', 1, undefined))).toBeUndefined();
    const m = new AckMemory<string>(32_000, 2);
    m.remember(msg('c', 1, undefined), 'x', undefined);
    expect(m.size).toBe(0);
    expect(ackKeyOf({ headers: { 'call-id': 'c', cseq: { seq: 'x' }, to: { params: { tag: 't' } } } } as unknown as sip.RawMessage)).toBeUndefined();
  });
});

describe('AckMemory forgets on its own (attack finding F1: an idle server kept every ACK until the next one)', () => {
  test('with no new ACK, each is dropped at its expiry by the timer', async () => {
    const m = new AckMemory<string>(50, 10);
    m.remember(msg('a', 1, 't'), 'a', undefined);
    await new Promise((r) => setTimeout(r, 20));
    m.remember(msg('b', 1, 't'), 'b', undefined);
    expect(m.size).toBe(2);
    await new Promise((r) => setTimeout(r, 45));
    expect(m.size).toBe(1);
    await new Promise((r) => setTimeout(r, 40));
    expect(m.size).toBe(0);
    m.dispose();
  });
});
