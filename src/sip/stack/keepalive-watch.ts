// The socket side of keep-alives (keepalive.ts holds the pure byte rules): hooked onto the SIP
// UDP socket and TCP server that listeners.ts binds, ahead of the library.
import type * as dgram from 'node:dgram';
import type * as net from 'node:net';
import { isCrlfDatagram, StreamPings, stunBindingRequest, stunBindingSuccess } from './keepalive';

/** RFC 5626 4.4 keep-alives, taken out before the library parses anything (keepalive.ts). */
export interface KeepaliveHooks {
  onPing(transport: 'UDP' | 'TCP', kind: 'crlf' | 'stun'): void;
  /** A UDP keep-alive (CRLF, STUN) from this address may be taken (the per-source rate); false: dropped unanswered. */
  admitUdp?(address: string): boolean;
  /** The header cap of the stream parser, so the ping tracker never holds more than it. */
  maxHeadBytes: number;
  /**
   * Slowloris bound (issue 11 item 6c): an accepted connection must complete its first SIP
   * message within this after it opened (TLS: after its handshake), and every message within
   * this after its first byte; else it is closed. Undefined: no bound.
   */
  messageTimeoutMs?: number;
  /** A connection was closed by messageTimeoutMs (never a complete message, or one left half-sent). */
  onSlowClosed?(transport: 'TCP', reason: 'no-message' | 'partial-message'): void;
}

/** Takes keep-alives out of the SIP sockets before the library reads them. */
export function watchKeepalives(udp: dgram.Socket | undefined, tcp: net.Server | undefined, hooks: KeepaliveHooks): void {
  if (udp) {
    // The library listens for 'message'; a keep-alive datagram is taken out before it sees it:
    // CRLFs are dropped silently, a STUN Binding request (RFC 5626 4.4.2) is answered.
    const emit = udp.emit.bind(udp);
    udp.emit = ((event: string | symbol, ...args: unknown[]) => {
      const data = args[0];
      if (event === 'message' && Buffer.isBuffer(data)) {
        const crlf = isCrlfDatagram(data);
        const txid = crlf ? undefined : stunBindingRequest(data);
        // over its source's rate: dropped before any answer (never a reflector)
        if ((crlf || txid) && hooks.admitUdp?.((args[1] as dgram.RemoteInfo).address) === false) return true;
        if (crlf) {
          hooks.onPing('UDP', 'crlf');
          return true;
        }
        if (txid) {
          hooks.onPing('UDP', 'stun');
          const from = args[1] as dgram.RemoteInfo;
          const answer = stunBindingSuccess(txid, from.address, from.port);
          if (answer) udp.send(answer, from.port, from.address, () => undefined);
          return true;
        }
      }
      return emit(event, ...args);
    }) as typeof udp.emit;
  }
  tcp?.on('connection', (sock: net.Socket) => watchStreamKeepalives(sock, hooks));
}

/**
 * The stream half: one accepted connection. `afterLibrary` says the library's own listener is
 * attached already (a TLS socket handed over once its handshake is done, whose first bytes may
 * come in the same tick); otherwise the watch waits a tick for it.
 */
export function watchStreamKeepalives(sock: net.Socket, hooks: KeepaliveHooks, afterLibrary = false): void {
  const pings = new StreamPings(hooks.maxHeadBytes);
  const slow = slowSenderBound(sock, pings, hooks);
  // Attached after the library's own listener (next tick, before any data can arrive): a
  // request and a ping in one chunk are answered response first, then pong, so a peer that
  // does not skip a CRLF before a status line (SIPp) still reads the response.
  const attach = (): unknown =>
    sock.on('data', (chunk: Buffer | string) => {
      try {
        const before = pings.messages;
        const n0 = pings.push(chunk);
        slow?.(pings.messages > before);
        for (let n = n0; n > 0; n--) {
          hooks.onPing('TCP', 'crlf');
          // RFC 5626 4.4.1: a double CRLF is answered at once with a single CRLF (pong).
          if (!sock.destroyed && sock.writable) sock.write('\r\n');
        }
      } catch {
        // never the process: this one connection goes
        sock.destroy();
      }
    });
  if (afterLibrary) attach();
  else process.nextTick(attach);
}

/**
 * The slowloris bound of one accepted stream: one timer at a time, armed at open (the first
 * message), re-armed when a message starts, cleared when it completes; CRLF pings between
 * messages neither arm nor clear it. Returns the per-chunk step, or undefined without a bound.
 */
function slowSenderBound(sock: net.Socket, pings: StreamPings, hooks: KeepaliveHooks): ((completed: boolean) => void) | undefined {
  const ms = hooks.messageTimeoutMs;
  if (ms === undefined) return undefined;
  let first = true;
  const expire = (): void => {
    if (sock.destroyed) return;
    hooks.onSlowClosed?.('TCP', first ? 'no-message' : 'partial-message');
    sock.destroy();
  };
  let timer: NodeJS.Timeout | undefined = setTimeout(expire, ms).unref();
  sock.once('close', () => clearTimeout(timer));
  return (completed) => {
    if (completed) {
      first = false;
      clearTimeout(timer);
      timer = undefined;
    }
    if (!first && pings.inMessage && timer === undefined) timer = setTimeout(expire, ms).unref();
  };
}
