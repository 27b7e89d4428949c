/**
 * Request/response over the IPC channel of a forked child: the bench parent drives client and
 * relay processes with it. Every call has a timeout; a child that exits fails its calls.
 */
import { fork, type ChildProcess } from 'node:child_process';

interface RpcRequest {
  readonly rpc: number;
  readonly method: string;
  readonly arg: unknown;
}

interface RpcReply {
  readonly rpc: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

function isRequest(m: unknown): m is RpcRequest {
  return typeof m === 'object' && m !== null && typeof (m as RpcRequest).method === 'string';
}

function isReply(m: unknown): m is RpcReply {
  return typeof m === 'object' && m !== null && typeof (m as RpcReply).ok === 'boolean';
}

/** Every child the bench starts, so that all are killed on exit, whatever happened. */
export class ChildRegistry {
  private readonly children = new Map<ChildProcess, boolean>();

  /** group: the child was spawned detached and leads a process group (its own children too). */
  add(child: ChildProcess, group = false): void {
    this.children.set(child, group);
    // a group leader's children may outlive it: keep it listed so killAll() reaches them
    if (!group) child.once('exit', () => this.children.delete(child));
  }

  /** SIGKILL to each live child, or to its whole process group when it leads one. */
  killAll(): void {
    for (const [c, group] of this.children) {
      if (group && c.pid !== undefined) {
        try {
          process.kill(-c.pid, 'SIGKILL');
        } catch {
          // group already empty
        }
      } else killHard(c);
    }
    this.children.clear();
  }
}

export function killHard(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    child.kill('SIGKILL');
  } catch {
    // already gone
  }
}

/** Waits for a child to exit; SIGTERM, then SIGKILL after graceMs. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => killHard(child), graceMs);
  await exited;
  clearTimeout(timer);
}

export class Worker {
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private nextId = 1;
  private exitReason: string | undefined;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.on('message', (m: unknown) => {
      if (!isReply(m)) return;
      const p = this.pending.get(m.rpc);
      if (p === undefined) return;
      this.pending.delete(m.rpc);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${name}: ${m.error ?? 'failed'}`));
    });
    child.once('exit', (code, signal) => {
      this.exitReason = `${name} exited (${signal ?? code})`;
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(this.exitReason));
      }
      this.pending.clear();
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Calls a handler in the child; rejects on timeout, on a failed handler or when the child exits. */
  call<T>(method: string, arg: unknown, timeoutMs: number): Promise<T> {
    if (this.exitReason !== undefined) return Promise.reject(new Error(this.exitReason));
    const rpc = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(rpc);
        reject(new Error(`${this.name}: ${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(rpc, { resolve: resolve as (v: unknown) => void, reject, timer });
      const req: RpcRequest = { rpc, method, arg };
      this.child.send(req, (err) => {
        if (err === null || err === undefined) return;
        const p = this.pending.get(rpc);
        if (p === undefined) return;
        this.pending.delete(rpc);
        clearTimeout(p.timer);
        reject(err);
      });
    });
  }

  stop(graceMs = 1000): Promise<void> {
    return stopChild(this.child, graceMs);
  }
}

/**
 * Forks a compiled script of this folder and waits until it answers 'ping'. The child gets
 * advanced serialization so that typed arrays of timestamps cross the channel as they are.
 */
export async function forkWorker(
  name: string,
  script: string,
  registry: ChildRegistry,
  opts: {
    readonly args?: readonly string[];
    readonly execArgv?: readonly string[];
    readonly timeoutMs: number;
    /** the command that runs Node, e.g. ['qemu-aarch64', '/path/arm64/node'] (default this Node) */
    readonly node?: readonly string[];
  },
): Promise<Worker> {
  const [execPath, ...pre] = opts.node ?? [process.execPath];
  const child = fork(script, [...(opts.args ?? [])], {
    serialization: 'advanced',
    execPath,
    execArgv: [...pre, ...(opts.execArgv ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  registry.add(child);
  const w = new Worker(name, child);
  try {
    await w.call('ping', null, opts.timeoutMs);
  } catch (e) {
    killHard(child);
    throw e;
  }
  return w;
}

export type RpcHandlers = Record<string, (arg: never) => unknown>;

/**
 * Child side: answers the parent's calls with these handlers (plus 'ping'), and exits when the
 * parent goes away so that no client or relay outlives a crashed bench.
 */
export function serveRpc(handlers: RpcHandlers): void {
  if (process.send === undefined) throw new Error('this script runs as a forked child of the bench');
  const send = process.send.bind(process);
  process.on('disconnect', () => process.exit(0));
  // an orderly exit on SIGTERM lets node --cpu-prof write its profile
  process.on('SIGTERM', () => process.exit(0));
  process.on('message', (m: unknown) => {
    if (!isRequest(m)) return;
    const reply = (r: Omit<RpcReply, 'rpc'>): void => {
      send({ rpc: m.rpc, ...r });
    };
    if (m.method === 'ping') return reply({ ok: true, result: process.pid });
    const h = handlers[m.method];
    if (h === undefined) return reply({ ok: false, error: `no method ${m.method}` });
    Promise.resolve()
      .then(() => h(m.arg as never))
      .then(
        (result) => reply({ ok: true, result }),
        (e: unknown) => reply({ ok: false, error: e instanceof Error ? e.message : String(e) }),
      );
  });
}
