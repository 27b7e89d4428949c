import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FD_RESERVE, fitCaps, openFileLimit } from '../../../src/app/fd-budget';

test('caps that fit under the open-file limit are kept', () => {
  expect(fitCaps({ sipTcp: 1024, msrp: 1024, admin: 64 }, 8192)).toEqual({ caps: { sipTcp: 1024, msrp: 1024, admin: 64 }, lowered: false });
  expect(fitCaps({ sipTcp: 1024, msrp: 1024, admin: 64 }, undefined).lowered).toBe(false);
});

test('caps over the limit are lowered in proportion, leaving the reserve free (a flood then meets the cap, not EMFILE)', () => {
  const { caps, lowered } = fitCaps({ sipTcp: 1024, msrp: 1024, admin: 64 }, 1024);
  expect(lowered).toBe(true);
  expect(caps.sipTcp + caps.msrp + caps.admin + FD_RESERVE).toBeLessThanOrEqual(1024);
  expect(caps.sipTcp).toBe(caps.msrp);
});

test('the limit is read from /proc/self/limits', () => {
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lim-')), 'limits');
  fs.writeFileSync(f, 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n');
  expect(openFileLimit(f)).toBe(1024);
  expect(typeof (openFileLimit() ?? 0)).toBe('number');
});
