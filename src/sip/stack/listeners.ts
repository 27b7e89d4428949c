// Binds the SIP UDP socket and TCP server on the same port before the library sees them, so
// that port 0 yields one free port for both and "port in use" is an error we can name.
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { isCrlfDatagram, StreamPings, stunBindingRequest, stunBindingSuccess } from './keepalive';

export class PortInUseError extends Error {
  constructor(readonly port: number, readonly protocol: 'UDP' | 'TCP', readonly address: string, cause: string) {
    super(`SIP ${protocol} port ${port} on ${address} is not available (${cause})`);
    this.name = 'PortInUseError';
  }
}

export interface BoundListeners {
  port: number;
  udp?: dgram.Socket;
  tcp?: net.Server;
}

function listenTcp(address: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    // Each SIP message is one write; Nagle would only hold back a response behind another.
    const server = net.createServer({ noDelay: true });
    const onError = (err: NodeJS.ErrnoException) => reject(new PortInUseError(port, 'TCP', address, err.code ?? err.message));
    server.once('error', onError);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

function bindUdp(address: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: net.isIPv6(address) ? 'udp6' : 'udp4' });
    const onError = (err: NodeJS.ErrnoException) => {
      socket.close();
      reject(new PortInUseError(port, 'UDP', address, err.code ?? err.message));
    };
    socket.once('error', onError);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

const closeTcp = (s: net.Server) => new Promise<void>((r) => s.close(() => r()));

/** RFC 5626 4.4.1 keep-alives, taken out before the library parses anything (keepalive.ts). */
export interface KeepaliveHooks {
  onPing(transport: 'UDP' | 'TCP', kind: 'crlf' | 'stun'): void;
  /** The header cap of the stream parser, so the ping tracker never holds more than it. */
  maxHeadBytes: number;
}

function watchKeepalives(bound: BoundListeners, hooks: KeepaliveHooks): void {
  const udp = bound.udp;
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
  bound.tcp?.on('connection', (sock: net.Socket) => {
    const pings = new StreamPings(hooks.maxHeadBytes);
    // Attached after the library's own listener (next tick, before any data can arrive): a
    // request and a ping in one chunk are answered response first, then pong, so a peer that
    // does not skip a CRLF before a status line (SIPp) still reads the response.
    process.nextTick(() =>
      sock.on('data', (chunk: Buffer | string) => {
        for (let n = pings.push(chunk); n > 0; n--) {
          hooks.onPing('TCP', 'crlf');
          // RFC 5626 4.4.1: a double CRLF is answered at once with a single CRLF (pong).
          if (!sock.destroyed && sock.writable) sock.write('\r\n');
        }
      }),
    );
  });
}

/** Port 0: TCP picks a free port and UDP takes the same one; retried a few times if UDP has it. */
export async function bindSipListeners(address: string, port: number, udp: boolean, tcp: boolean, keepalive?: KeepaliveHooks): Promise<BoundListeners> {
  const attempts = port === 0 ? 8 : 1;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    let server: net.Server | undefined;
    try {
      if (tcp) server = await listenTcp(address, port);
      const chosen = server ? (server.address() as net.AddressInfo).port : port;
      const socket = udp ? await bindUdp(address, chosen) : undefined;
      const bound = { port: socket ? socket.address().port : chosen, udp: socket, tcp: server };
      if (keepalive) watchKeepalives(bound, keepalive);
      return bound;
    } catch (err) {
      lastError = err;
      if (server) await closeTcp(server);
    }
  }
  throw lastError;
}
