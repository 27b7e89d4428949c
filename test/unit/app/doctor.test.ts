// `imedge doctor` (issue 13 item 4): architecture against the board profile, serial devices,
// the profile it would pick, and the watchdog link as the running server reports it.
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../../src/config';
import { listSerialDevices, runDoctor, watchdogLinkLine } from '../../../src/app/doctor';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'imedge-doctor-'));
const config = (dataDir: string, env: Record<string, string> = {}) => loadConfig({ env: { IMEDGE_DATA_DIR: dataDir, ...env }, flags: {}, cwd: dataDir });
const line = (r: ReturnType<typeof runDoctor>, item: string) => r.lines.find((l) => l.item === item)!;

describe('doctor', () => {
  it('names the architecture and fails it when the board profile wants another', () => {
    const dir = tmp();
    const model = path.join(dir, 'model');
    fs.writeFileSync(model, 'Raspberry Pi 4 Model B Rev 1.4\0');
    const cfg = config(dir, { IMEDGE_BOARD: 'rpi4' });
    const onX86 = runDoctor(cfg, { modelPath: model, arch: 'x64' });
    expect(line(onX86, 'architecture')).toMatchObject({ expected: 'arm64', ok: false });
    expect(onX86.ok).toBe(false);
    const onArm = runDoctor(cfg, { modelPath: model, arch: 'arm64' });
    expect(line(onArm, 'architecture')).toMatchObject({ ok: true });
    expect(line(onArm, 'architecture').found).toMatch(/^arm64 \(/);
    expect(line(onArm, 'board').found).toContain('would pick rpi4');
    expect(line(onArm, 'node').found).toContain(process.versions.node);
  });

  it('lists serial devices with aliases, leaving out ttyS ports without a UART behind them', () => {
    const dev = tmp();
    const sys = tmp();
    for (const n of ['ttyS0', 'ttyS1', 'ttyAMA0', 'ttyUSB0', 'tty1', 'null']) fs.writeFileSync(path.join(dev, n), '');
    fs.symlinkSync('ttyAMA0', path.join(dev, 'serial0'));
    // ttyS0 has a driver behind it, ttyS1 is one of the placeholders the kernel creates
    fs.mkdirSync(path.join(sys, 'ttyS0', 'device'), { recursive: true });
    fs.mkdirSync(path.join(sys, 'ttyS1'), { recursive: true });
    expect(listSerialDevices(dev, sys)).toEqual(['serial0 -> ttyAMA0', 'ttyAMA0', 'ttyS0', 'ttyUSB0']);
    const r = runDoctor(config(tmp()), { devDir: dev, sysTtyDir: sys });
    expect(line(r, 'serial devices')).toMatchObject({ found: 'serial0 -> ttyAMA0, ttyAMA0, ttyS0, ttyUSB0', ok: true });
  });

  it('reads the watchdog link state from the running server, and says so when none runs', async () => {
    const dir = tmp();
    const cfg = config(dir, { IMEDGE_WATCHDOG__ENABLED: 'true', IMEDGE_WATCHDOG__REQUIRED: 'true', IMEDGE_WATCHDOG__DEVICE: '/dev/ttyS1' });
    let open = 1;
    const server = http.createServer((_req, res) => {
      res.end(`# HELP imedge_watchdog_link_open x\nimedge_watchdog_link_open ${open}\nimedge_watchdog_heartbeats_sent_total 12\nimedge_watchdog_answers_missed_total 1\n`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    try {
      expect(await watchdogLinkLine(cfg, { port })).toMatchObject({ found: 'open; 12 heartbeats sent, 1 answers missed', ok: true });
      open = 0;
      expect(await watchdogLinkLine(cfg, { port })).toMatchObject({ found: expect.stringMatching(/^closed;/), ok: false });
    } finally {
      await new Promise((r) => server.close(r));
    }
    const none = await watchdogLinkLine(cfg, { port, fetchTimeoutMs: 500 });
    expect(none).toMatchObject({ ok: true });
    expect(none.found).toMatch(/no running imedge .*state unknown/);
    expect(await watchdogLinkLine(config(dir))).toMatchObject({ found: 'not checked', ok: true });
  });
});
