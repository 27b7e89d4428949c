/** A fake /proc and /sys tree in a temp dir, for the health sampler tests. */
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { HostPaths } from '../../../../src/device/health';

export class FakeHost {
  private constructor(readonly root: string, readonly paths: HostPaths) {}

  static async create(): Promise<FakeHost> {
    const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'imedge-host-'));
    const paths: HostPaths = {
      meminfo: path.join(root, 'proc', 'meminfo'),
      loadavg: path.join(root, 'proc', 'loadavg'),
      thermalDir: path.join(root, 'sys', 'class', 'thermal'),
      netDir: path.join(root, 'sys', 'class', 'net'),
    };
    await fsp.mkdir(path.join(root, 'proc'), { recursive: true });
    await fsp.mkdir(paths.thermalDir, { recursive: true });
    await fsp.mkdir(paths.netDir, { recursive: true });
    await fsp.mkdir(path.join(root, 'data'));
    const host = new FakeHost(root, paths);
    await host.setMemAvailableKiB(400 * 1024);
    await host.setLoad(0.5);
    return host;
  }

  get dataDir(): string {
    return path.join(this.root, 'data');
  }

  async setMemAvailableKiB(kib: number): Promise<void> {
    await fsp.writeFile(
      this.paths.meminfo,
      `MemTotal:        1000000 kB\nMemFree:          100000 kB\nMemAvailable:    ${kib} kB\nBuffers:           1000 kB\n`,
    );
  }

  async setLoad(load1: number): Promise<void> {
    await fsp.writeFile(this.paths.loadavg, `${load1.toFixed(2)} 0.40 0.30 1/200 12345\n`);
  }

  async setZoneTempMilliC(zone: number, milli: number): Promise<void> {
    const dir = path.join(this.paths.thermalDir, `thermal_zone${zone}`);
    await fsp.mkdir(dir, { recursive: true });
    await fsp.writeFile(path.join(dir, 'temp'), `${milli}\n`);
  }

  async setOperstate(iface: string, state: string): Promise<void> {
    const dir = path.join(this.paths.netDir, iface);
    await fsp.mkdir(dir, { recursive: true });
    await fsp.writeFile(path.join(dir, 'operstate'), `${state}\n`);
  }

  async remove(): Promise<void> {
    await fsp.rm(this.root, { recursive: true, force: true });
  }
}
