import { ThrottledLog } from '../../../src/log/throttled';
import type { Logger } from '../../../src/log';

test('attack finding F4: at most one admin error line per second; the held-back lines are counted on the next', () => {
  const written: { fields: Record<string, unknown>; msg: string }[] = [];
  const log = { error: (fields: Record<string, unknown>, msg: string) => void written.push({ fields, msg }) } as unknown as Logger;
  let t = 10_000;
  const el = new ThrottledLog(log, 'error', 1_000, () => t);
  for (let i = 0; i < 3000; i++) el.write({ url: '/login' }, 'admin route failed');
  expect(written).toHaveLength(1);
  expect(el.suppressedTotal).toBe(2999);
  t += 1_000;
  el.write({ url: '/login' }, 'admin route failed');
  expect(written).toHaveLength(2);
  expect(written[1]!.fields.suppressed).toBe(2999);
  t += 1_000;
  el.write({ url: '/x' }, 'admin route failed');
  expect(written[2]!.fields.suppressed).toBeUndefined();
});
