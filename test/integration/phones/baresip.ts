// Runs Debian's baresip (baresip-core) as a real softphone: a temp config dir, loopback only,
// no audio device (aufile from/to /dev/null), driven through its ctrl_tcp module (netstring
// JSON commands and events). Incoming MESSAGEs are read from its output, where the menu
// module prints `<peer>: "<text>"`.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { freePort, requireTool } from './tools';

export interface BaresipOptions {
  dir: string;
  user: string;
  password: string;
  domain: string;
  /** imedge's SIP port on 127.0.0.1, used as the account's outbound proxy. */
  proxyPort: number;
  transport: 'udp' | 'tcp';
  /** Registration interval in s; 0 = never register. */
  regint: number;
  /** AoRs for the contacts file; /message goes to the first. */
  contacts?: string[];
  /** RFC 5626 outbound (sipnat=outbound): +sip.instance and reg-id, keep-alives on the flow. */
  outbound?: boolean;
}

export interface BaresipEvent {
  type: string;
  class?: string;
  accountaor?: string;
  param?: string;
}

export class Baresip {
  readonly events: BaresipEvent[] = [];
  private out = '';
  private ctrl?: net.Socket;
  private ctrlBuf = '';
  private waiters: { test: () => boolean; resolve: () => void }[] = [];
  private replies = new Map<string, (r: { ok: boolean; data: string }) => void>();
  private seq = 0;

  private constructor(readonly proc: ChildProcess, readonly sipPort: number, readonly ctrlPort: number, readonly opts: BaresipOptions) {
    const onOut = (d: Buffer) => {
      this.out += d.toString('utf8');
      this.wake();
    };
    proc.stdout!.on('data', onOut);
    proc.stderr!.on('data', onOut);
  }

  /**
   * baresip binds its TLS listener next to the SIP port it is given; on a busy machine that
   * neighbour may be taken between our free-port probe and its bind: try fresh ports then.
   */
  static async start(opts: BaresipOptions): Promise<Baresip> {
    requireTool('baresip', 'baresip-core');
    for (let attempt = 1; ; attempt++) {
      try {
        return await Baresip.attempt(opts);
      } catch (err) {
        if (attempt >= 4 || !/Address already in use/.test(String((err as Error).message))) throw err;
      }
    }
  }

  private static async attempt(opts: BaresipOptions): Promise<Baresip> {
    const sipPort = await freePort();
    const ctrlPort = await freePort();
    fs.mkdirSync(opts.dir, { recursive: true });
    // Only what a headless phone needs: no stdio UI (no terminal here), no sound card.
    fs.writeFileSync(
      path.join(opts.dir, 'config'),
      [
        'poll_method epoll',
        `sip_listen 127.0.0.1:${sipPort}`,
        'audio_player aufile,/dev/null',
        'audio_source aufile,/dev/null',
        'audio_alert aufile,/dev/null',
        'module_path /usr/lib/baresip/modules',
        'module g711.so',
        'module aufile.so',
        // uuid makes the +sip.instance outbound needs (kept in the config dir)
        'module_tmp uuid.so',
        'module_tmp account.so',
        'module_app menu.so',
        'module_app contact.so',
        'module_app ctrl_tcp.so',
        `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
        'dns_server 127.0.0.1:53',
        '',
      ].join('\n'),
    );
    const proxy = `sip:127.0.0.1:${opts.proxyPort};transport=${opts.transport}`;
    fs.writeFileSync(
      path.join(opts.dir, 'accounts'),
      `<sip:${opts.user}@${opts.domain};transport=${opts.transport}>;auth_pass=${opts.password};regint=${opts.regint};outbound="${proxy}"${opts.outbound ? ';sipnat=outbound' : ''}\n`,
    );
    fs.writeFileSync(path.join(opts.dir, 'contacts'), (opts.contacts ?? []).map((c) => `<${c}>\n`).join(''));
    // -n 127.0.0.1: loopback is the only interface it may use.
    const proc = spawn('baresip', ['-f', opts.dir, '-n', '127.0.0.1', '-s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const b = new Baresip(proc, sipPort, ctrlPort, opts);
    try {
      await b.waitOutput(/baresip is ready|Address already in use/, 10000);
    } catch (err) {
      proc.kill('SIGKILL');
      throw err;
    }
    if (!/baresip is ready/.test(b.out)) {
      proc.kill('SIGKILL');
      throw new Error(`baresip: Address already in use; output:\n${b.out.slice(-2000)}`);
    }
    await b.connect();
    return b;
  }

  get output(): string {
    return this.out;
  }

  private wake(): void {
    for (const w of [...this.waiters]) if (w.test()) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
  }

  private until(test: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`baresip: ${what} not seen in ${timeoutMs} ms; output:\n${this.out.slice(-4000)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      this.waiters.push({ test, resolve: done });
    });
  }

  waitOutput(re: RegExp, timeoutMs = 8000): Promise<void> {
    return this.until(() => re.test(this.out), timeoutMs, String(re));
  }

  /** Resolves when `count` events of this type have been seen. */
  waitEvent(type: string, count = 1, timeoutMs = 8000): Promise<void> {
    return this.until(() => this.events.filter((e) => e.type === type).length >= count, timeoutMs, `${count} x ${type}`);
  }

  private connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = net.connect(this.ctrlPort, '127.0.0.1');
      s.once('connect', () => resolve());
      s.once('error', reject);
      s.on('data', (d) => this.onCtrl(d.toString('utf8')));
      this.ctrl = s;
    });
  }

  // Netstrings: "<len>:<json>,"
  private onCtrl(text: string): void {
    this.ctrlBuf += text;
    for (;;) {
      const colon = this.ctrlBuf.indexOf(':');
      if (colon < 0) return;
      const len = Number(this.ctrlBuf.slice(0, colon));
      const bytes = Buffer.from(this.ctrlBuf.slice(colon + 1), 'utf8');
      if (bytes.length < len + 1) return;
      const json = bytes.subarray(0, len).toString('utf8');
      this.ctrlBuf = bytes.subarray(len + 1).toString('utf8');
      const msg = JSON.parse(json) as { event?: boolean; response?: boolean; token?: string; ok?: boolean; data?: string } & BaresipEvent;
      if (msg.event) this.events.push({ type: msg.type, class: msg.class, accountaor: msg.accountaor, param: msg.param });
      if (msg.response && msg.token) this.replies.get(msg.token)?.({ ok: !!msg.ok, data: msg.data ?? '' });
      this.wake();
    }
  }

  command(command: string, params?: string): Promise<{ ok: boolean; data: string }> {
    const token = `t${++this.seq}`;
    const json = JSON.stringify({ command, ...(params !== undefined ? { params } : {}), token });
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`baresip: no answer to ${command}`)), 5000);
      this.replies.set(token, (r) => {
        clearTimeout(t);
        resolve(r);
      });
      this.ctrl!.write(`${Buffer.byteLength(json)}:${json},`);
    });
  }

  /** Sends a page-mode MESSAGE to the current (first) contact. */
  message(text: string): Promise<{ ok: boolean; data: string }> {
    return this.command('message', text);
  }

  async stop(): Promise<void> {
    this.ctrl?.destroy();
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  }
}
