import { AnswerWaiter, WaiterFullError } from '../../../../src/device/watchdog';

describe('AnswerWaiter', () => {
  it('resolves with the first matching line and ignores others', async () => {
    const w = new AnswerWaiter(2);
    const p = w.wait((l) => (l === 'OK 2' ? 2 : undefined), 1000);
    expect(w.offer('OK 1')).toBe(false);
    expect(w.offer('OK 2')).toBe(true);
    await expect(p).resolves.toBe(2);
    expect(w.size).toBe(0);
  });

  it('resolves undefined on timeout and on cancelAll', async () => {
    const w = new AnswerWaiter(2);
    await expect(w.wait(() => undefined, 5)).resolves.toBeUndefined();
    const p = w.wait(() => undefined, 10_000);
    w.cancelAll();
    await expect(p).resolves.toBeUndefined();
  });

  it('is bounded', async () => {
    const w = new AnswerWaiter(1);
    const first = w.wait(() => undefined, 10_000);
    await expect(w.wait(() => undefined, 10)).rejects.toBeInstanceOf(WaiterFullError);
    w.cancelAll();
    await first;
  });
});
