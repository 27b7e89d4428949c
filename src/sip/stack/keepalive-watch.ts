// The socket side of keep-alives (keepalive.ts holds the pure byte rules): hooked onto the SIP
// UDP socket and TCP server that listeners.ts binds, ahead of the library.
import type * as dgram from 'node:dgram';
import type * as net from 'node:net';
import { isCrlfDatagram, StreamPings, stunBindingRequest, stunBindingSuccess } from './keepalive';

/** RFC 5626 4.4 keep-alives, taken out before the library parses anything (keepalive.ts). */
export interface KeepaliveHooks {
  onPing(transport: 'UDP' | 'TCP', kind: 'crlf' | 'stun'): void;
  /** The header cap of the stream parser, so the ping tracker never holds more than it. */
  maxHeadBytes: number;
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
        if (isCrlfDatagram(data)) {
          hooks.onPing('UDP', 'crlf');
          return true;
        }
        const txid = stunBindingRequest(data);
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
  // Attached after the library's own listener (next tick, before any data can arrive): a
  // request and a ping in one chunk are answered response first, then pong, so a peer that
  // does not skip a CRLF before a status line (SIPp) still reads the response.
  const attach = (): unknown =>
    sock.on('data', (chunk: Buffer | string) => {
      try {
        for (let n = pings.push(chunk); n > 0; n--) {
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
