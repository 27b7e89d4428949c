/** socat pseudo-terminal pairs and the fake MCU process, for the watchdog integration tests. */
import { spawn, spawnSync } from 'child_process';
import type { ChildProcess } from 'child_process';
import { existsSync } from 'fs';
import * as path from 'path';
import { waitFor } from '../../unit/device/helpers';
import { nodeArgs } from '../../helpers/node-exe';

export function haveSocat(): boolean {
  return spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
}

export class PtyPair {
  private constructor(private readonly proc: ChildProcess, readonly a: string, readonly b: string) {}

  static async start(dir: string): Promise<PtyPair> {
    const a = path.join(dir, 'ttyA');
    const b = path.join(dir, 'ttyB');
    const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
    const pair = new PtyPair(proc, a, b);
    await waitFor(() => existsSync(a) && existsSync(b), 'socat pty links');
    return pair;
  }

  /** Kills socat: both ends vanish, as a USB serial adapter pulled out. */
  async kill(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await exited;
  }
}

export interface McuEvent {
  ms: number;
  event: 'ready' | 'line' | 'error' | 'closed';
  line?: string;
  message?: string;
}

export class FakeMcu {
  readonly events: McuEvent[] = [];
  private constructor(private readonly proc: ChildProcess) {
    let partial = '';
    proc.stdout?.setEncoding('utf8');
    proc.stdout?.on('data', (chunk: string) => {
      partial += chunk;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        this.events.push(JSON.parse(partial.slice(0, nl)) as McuEvent);
        partial = partial.slice(nl + 1);
      }
    });
  }

  static async start(tty: string): Promise<FakeMcu> {
    // the fixture is plain JS, never compiled: from dist/test/... look in the source tree
    const here = __dirname.includes(`${path.sep}dist${path.sep}test${path.sep}`) ? __dirname.replace(`${path.sep}dist${path.sep}test${path.sep}`, `${path.sep}test${path.sep}`) : __dirname;
    const script = path.join(here, '..', '..', 'fixtures', 'device', 'fake-mcu.js');
    const proc = spawn(...nodeArgs(script, [tty]), { stdio: ['ignore', 'pipe', 'inherit'] });
    const mcu = new FakeMcu(proc);
    await waitFor(() => mcu.events.some((e) => e.event === 'ready'), 'fake MCU ready');
    return mcu;
  }

  lines(): string[] {
    return this.events.filter((e) => e.event === 'line').map((e) => e.line as string);
  }

  heartbeats(): string[] {
    return this.lines().filter((l) => l.startsWith('HB '));
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await exited;
  }
}
