// `imedge board detect` and `imedge doctor` as a user runs them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, tempDir } from '../../helpers/server';

test('board detect reads the device-tree model (path overridable) and names the profile', async () => {
  const dir = tempDir();
  const model = path.join(dir, 'model');
  fs.writeFileSync(model, 'Raspberry Pi 4 Model B Rev 1.4\0');
  const r = await runCli(['board', 'detect', '--model-file', model]);
  expect(r.code).toBe(0);
  expect(r.stdout.split('\t')[0]).toBe('rpi4');
});

test('doctor gives a verdict; a required watchdog device that is missing makes it NOT ready', async () => {
  const dir = tempDir();
  const ok = await runCli(['doctor', '--data-dir', dir]);
  expect(ok.code).toBe(0);
  expect(ok.stdout).toContain('verdict: ready');
  const cfg = path.join(dir, 'c.yaml');
  fs.writeFileSync(cfg, 'watchdog:\n  enabled: true\n  required: true\n  device: /dev/does-not-exist\n');
  const bad = await runCli(['doctor', '--data-dir', dir, '--config', cfg]);
  expect(bad.code).toBe(1);
  expect(bad.stdout).toMatch(/watchdog \(line\).*missing.*FAIL/);
  expect(bad.stdout).toContain('verdict: NOT ready');
});

test('serve exits 2 naming the device when a required watchdog cannot be opened', async () => {
  const dir = tempDir();
  const cfg = path.join(dir, 'c.yaml');
  fs.writeFileSync(cfg, 'watchdog:\n  enabled: true\n  required: true\n  device: /dev/does-not-exist\n');
  const r = await runCli(['serve', '--config', cfg, '--data-dir', dir, '--sip-port', '0', '--msrp-port', '0', '--http-port', '0']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('/dev/does-not-exist');
});
