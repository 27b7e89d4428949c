/** Unit tests for src/util/ring.ts, bounded-queue.ts and waiter.ts (kept here: these are the MSRP layer's utilities). */
import fc from 'fast-check';
import { BoundedQueue } from '../../../../src/util/bounded-queue';
import { ByteRing } from '../../../../src/util/ring';
import { Waiter, WaitTimeoutError } from '../../../../src/util/waiter';

describe('ByteRing', () => {
  test('behaves like a bounded FIFO of bytes for any sequence of writes and consumes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 80 }).map((b) => ({ w: Buffer.from(b) })), fc.nat(80).map((n) => ({ c: n }))), { maxLength: 60 }),
        (cap, ops) => {
          const ring = new ByteRing(cap);
          let model = Buffer.alloc(0);
          for (const op of ops) {
            if ('w' in op) {
              const n = ring.write(op.w);
              expect(n).toBe(Math.min(op.w.length, cap - model.length));
              model = Buffer.concat([model, op.w.subarray(0, n)]);
            } else {
              const n = Math.min(op.c, model.length);
              ring.consume(n);
              model = model.subarray(n);
            }
            const first = ring.segment(0) ?? Buffer.alloc(0);
            const second = ring.segment(first.length) ?? Buffer.alloc(0);
            expect(Buffer.concat([first, second]).equals(model)).toBe(true);
            expect(ring.length).toBe(model.length);
            expect(ring.highWater).toBeLessThanOrEqual(cap);
          }
        },
      ),
    );
  });

  test('a small first store (initialBytes) gives the same FIFO as a full one, views handed out stay valid', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 80 }).map((b) => ({ w: Buffer.from(b) })), fc.nat(80).map((n) => ({ c: n }))), { maxLength: 60 }),
        (cap, initial, ops) => {
          const ring = new ByteRing(cap, { initialBytes: initial });
          let model = Buffer.alloc(0);
          for (const op of ops) {
            // a view taken before a write that may move the ring to its full store
            const before = Buffer.from(ring.segment(0) ?? Buffer.alloc(0));
            const view = ring.segment(0) ?? Buffer.alloc(0);
            if ('w' in op) {
              const n = ring.write(op.w);
              expect(n).toBe(Math.min(op.w.length, cap - model.length));
              model = Buffer.concat([model, op.w.subarray(0, n)]);
              expect(view.equals(before)).toBe(true);
            } else {
              const n = Math.min(op.c, model.length);
              ring.consume(n);
              model = model.subarray(n);
            }
            const first = ring.segment(0) ?? Buffer.alloc(0);
            const second = ring.segment(first.length) ?? Buffer.alloc(0);
            expect(Buffer.concat([first, second]).equals(model)).toBe(true);
            expect(ring.free).toBe(cap - model.length);
          }
        },
      ),
    );
  });

  test('refuses to consume more than it holds', () => {
    const r = new ByteRing(4);
    r.write(Buffer.from('ab'));
    expect(() => r.consume(3)).toThrow(RangeError);
  });
});

describe('BoundedQueue', () => {
  test('keeps FIFO order and refuses pushes when full', () => {
    const q = new BoundedQueue<number>(3);
    expect([q.push(1), q.push(2), q.push(3), q.push(4)]).toEqual([true, true, true, false]);
    expect(q.shift()).toBe(1);
    expect(q.push(5)).toBe(true);
    expect([q.shift(), q.shift(), q.shift(), q.shift()]).toEqual([2, 3, 5, undefined]);
  });

  test('grows its slots on demand and stays a FIFO bounded by capacity', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.oneof(fc.nat(1000), fc.constant(-1)), { maxLength: 200 }), (cap, ops) => {
        const q = new BoundedQueue<number>(cap);
        const model: number[] = [];
        for (const op of ops) {
          if (op < 0) expect(q.shift()).toBe(model.shift());
          else {
            expect(q.push(op)).toBe(model.length < cap);
            if (model.length < cap) model.push(op);
          }
          expect(q.length).toBe(model.length);
          expect(q.peek()).toBe(model[0]);
        }
        q.clear();
        expect(q.length).toBe(0);
      }),
    );
  });
});

describe('Waiter (wait for the matching answer)', () => {
  test('delivers the answer once, refuses duplicates and waits beyond capacity', async () => {
    const w = new Waiter<string, number>({ capacity: 2, timeoutMs: 1000 });
    const p = w.waitFor('t1');
    expect(w.wait('t1', () => undefined)).toBe(false);
    expect(w.wait('t2', () => undefined)).toBe(true);
    expect(w.wait('t3', () => undefined)).toBe(false);
    expect(w.resolve('t1', 7)).toBe(true);
    expect(w.resolve('t1', 8)).toBe(false);
    await expect(p).resolves.toBe(7);
    w.cancelAll();
    expect(w.size).toBe(0);
  });

  test('times out entries in deadline order with one timer', async () => {
    let now = 0;
    const w = new Waiter<string, number>({ capacity: 10, timeoutMs: 20, now: () => now });
    const outcomes: string[] = [];
    w.wait('a', (o) => outcomes.push(`a:${o}`));
    now = 10;
    w.wait('b', (o) => outcomes.push(`b:${o}`));
    now = 25;
    await new Promise((r) => setTimeout(r, 30));
    expect(outcomes).toEqual(['a:timeout']);
    now = 40;
    await new Promise((r) => setTimeout(r, 30));
    expect(outcomes).toEqual(['a:timeout', 'b:timeout']);
    const late = w.waitFor('c').catch((e: unknown) => e);
    now = 100;
    await expect(late).resolves.toBeInstanceOf(WaitTimeoutError);
  });
});
