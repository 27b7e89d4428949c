/**
 * imedge's MSRP switch (src/msrp/switch) in its own process, driven the way the controlling IM
 * function drives it, without SIP: addParticipant() per member (setup passive: the member
 * connects and binds its session with its first SEND, RFC 4975 5.4), then the switch fans each
 * message out. Its CPU time and memory are measured apart from the clients and the bench.
 * Everything that depends on the switch's API is in this file.
 */
import { MsrpNet } from '../../../src/msrp/net';
import { MsrpSwitch, type MsrpSwitchStats, type SwitchEvent } from '../../../src/msrp/switch';
import { serveRpc } from '../rpc';

export interface SwitchStartArg {
  readonly maxParticipants: number;
}

export interface SwitchStartResult {
  readonly port: number;
  /** Outbound ring of each participant's connection (its receiver leg), bytes. */
  readonly ringBytes: number;
}

export interface SwitchMember {
  readonly id: string;
  /** The member's own MSRP URI (its From-Path; nobody dials it). */
  readonly uri: string;
}

export interface SwitchStats extends MsrpSwitchStats {
  /** Events other than 'bound' (lost connections, slow removals): none in a clean run. */
  readonly badEvents: number;
}

export interface SettledMemory {
  readonly heapUsedKb: number;
  /** Memory of Buffers and other objects outside the JS heap (rings among them). */
  readonly externalKb: number;
}

const CONFERENCE = 'sip:bench-group@imedge.invalid';

class SwitchHost {
  private net: MsrpNet | undefined;
  private sw: MsrpSwitch | undefined;
  private badEvents = 0;

  async start(arg: SwitchStartArg): Promise<SwitchStartResult> {
    // room for every member's connection; the rest are the defaults a server runs with
    const net = new MsrpNet({ maxConnections: arg.maxParticipants + 16 });
    this.net = net;
    const { port } = await net.listen('127.0.0.1', 0);
    this.sw = new MsrpSwitch(
      net,
      { conference: { uri: CONFERENCE }, maxParticipants: arg.maxParticipants },
      { onEvent: (e: SwitchEvent) => void (e.type !== 'bound' && this.badEvents++) },
    );
    return { port, ringBytes: net.options.ringBytes };
  }

  /** Adds the members; returns each one's switch URI (the a=path the focus would offer it). */
  add(members: readonly SwitchMember[]): string[] {
    const sw = this.sw;
    if (sw === undefined) throw new Error('add before start');
    return members.map((m, i) =>
      sw.addParticipant({ id: m.id, remotePath: [m.uri], identity: { name: `Bench User ${i}`, uri: `sip:${m.id}@imedge.invalid` } }),
    );
  }

  /** Removes members (their MSRP resources are released, their connections closed). */
  remove(ids: readonly string[]): number {
    const sw = this.sw;
    if (sw === undefined) throw new Error('remove before start');
    return ids.filter((id) => sw.removeParticipant(id)).length;
  }

  stats(): SwitchStats {
    const sw = this.sw;
    if (sw === undefined) throw new Error('stats before start');
    return { ...sw.counters, badEvents: this.badEvents };
  }

  /**
   * A full GC (when run with --expose-gc) and a pause, so that an RSS reading is stable;
   * returns the JS heap and external memory then (where a participant's bytes live).
   */
  async settle(ms: number): Promise<SettledMemory> {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    await new Promise((r) => setTimeout(r, ms));
    gc?.();
    const m = process.memoryUsage();
    return { heapUsedKb: m.heapUsed / 1024, externalKb: m.external / 1024 };
  }

  async close(): Promise<void> {
    this.sw?.close();
    await this.net?.close();
  }
}

function main(): void {
  const host = new SwitchHost();
  serveRpc({
    start: (a: SwitchStartArg) => host.start(a),
    add: (a: readonly SwitchMember[]) => host.add(a),
    remove: (a: readonly string[]) => host.remove(a),
    stats: () => host.stats(),
    settle: (ms: number) => host.settle(ms),
    close: () => host.close(),
  });
}

main();
