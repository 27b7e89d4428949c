// Attack finding (F1): a SIP TCP/TLS peer that never reads grew server memory without bound:
// every answer (a 200, a CRLF pong) queued in node's socket buffer. The library writes to its
// sockets directly (sip.js stream transport), so the bound sits on the socket's write itself,
// installed when the connection is admitted, before the library or the keep-alive watch see it.
// Over maxBytes queued: the socket is no longer read (the peer's own sends then block in its
// kernel, the backpressure TCP was made for) until the queue has gone out. Paused for longer
// than stallMs, or over 4x maxBytes queued (our own requests to it pile up): closed, counted.
import type * as net from 'node:net';

export interface OutputBoundOptions {
  /** Bytes queued for the peer above which its socket is no longer read. */
  maxBytes: number;
  /** A socket still paused after this is closed. */
  stallMs: number;
}

export interface OutputBoundHooks {
  onPaused(): void;
  onClosed(reason: 'stalled' | 'hard-limit'): void;
}

/** A write queued beyond this many times maxBytes closes the connection at once. */
export const OUTPUT_HARD_FACTOR = 4;

type WriteCb = (err?: Error | null) => void;

/** Wraps socket.write so its queued output stays bounded (see above). */
export function boundOutput(socket: net.Socket, opts: OutputBoundOptions, hooks: OutputBoundHooks): void {
  const write = socket.write.bind(socket) as (chunk: unknown, encoding?: BufferEncoding, cb?: WriteCb) => boolean;
  const hard = opts.maxBytes * OUTPUT_HARD_FACTOR;
  let paused = false;
  let stall: NodeJS.Timeout | undefined;
  const close = (reason: 'stalled' | 'hard-limit'): void => {
    if (socket.destroyed) return;
    hooks.onClosed(reason);
    socket.destroy();
  };
  const resume = (): void => {
    if (!paused) return;
    paused = false;
    clearTimeout(stall);
    stall = undefined;
    if (!socket.destroyed) socket.resume();
  };
  socket.once('close', () => clearTimeout(stall));
  socket.write = ((chunk: unknown, encOrCb?: BufferEncoding | WriteCb, cb?: WriteCb): boolean => {
    const encoding = typeof encOrCb === 'string' ? encOrCb : undefined;
    const done = typeof encOrCb === 'function' ? encOrCb : cb;
    if (socket.destroyed) return false;
    const size = typeof chunk === 'string' ? Buffer.byteLength(chunk, encoding ?? 'utf8') : (chunk as Uint8Array).byteLength;
    if (socket.writableLength + size > hard) {
      close('hard-limit');
      return false;
    }
    if (paused || socket.writableLength + size <= opts.maxBytes) return write(chunk, encoding, done);
    // This write takes the queue over the bound: reading stops until it (and all before it)
    // has gone out; its callback says so whatever node's highWaterMark is.
    paused = true;
    socket.pause();
    hooks.onPaused();
    stall = setTimeout(() => close('stalled'), opts.stallMs);
    stall.unref();
    return write(chunk, encoding, (err) => {
      if (!err) resume();
      done?.(err);
    });
  }) as typeof socket.write;
}
