/**
 * The project's only use of serialport: a UART link to the watchdog MCU.
 *
 * A vanished device (USB unplugged, socat gone) shows up as a failed write
 * with EIO, then an `error` event, then two `close` events; all of them are
 * folded into one `onLost` call per link so the caller re-opens once.
 */
import { ReadlineParser, SerialPort, SerialPortMock } from 'serialport';
import type { SerialPortOpenOptions } from 'serialport';
import type { TransformCallback } from 'stream';
import type { LinkHandlers, WatchdogLink } from './link';

/** A serialport binding: the native one by default, @serialport/binding-mock in tests. */
export type SerialBinding = typeof SerialPort.binding | typeof SerialPortMock.binding;

export interface SerialLinkOptions {
  path: string;
  baudRate: number;
  /** A line longer than this without "\n" is dropped (garbage on the wire). */
  maxLineBytes: number;
  binding?: SerialBinding;
}

/** readline parser whose pending partial line is capped. */
class BoundedReadlineParser extends ReadlineParser {
  constructor(private readonly maxLineBytes: number) {
    super({ delimiter: '\n', encoding: 'ascii' });
  }

  override _transform(chunk: Buffer, encoding: BufferEncoding, cb: TransformCallback): void {
    super._transform(chunk, encoding, cb);
    // The parent keeps the unterminated tail in `buffer`; a peer that never
    // sends "\n" must not grow it without limit.
    if (this.buffer.length > this.maxLineBytes) this.buffer = Buffer.alloc(0);
  }
}

export class SerialLink implements WatchdogLink {
  private readonly port: SerialPort;
  private closing = false;
  private lost = false;

  constructor(options: SerialLinkOptions, private readonly handlers: LinkHandlers) {
    const open: Record<string, unknown> = { path: options.path, baudRate: options.baudRate, autoOpen: false };
    // serialport's typings omit `binding`, but its constructor spreads the
    // options over the default binding, so an injected one wins.
    if (options.binding !== undefined) open['binding'] = options.binding;
    this.port = new SerialPort(open as unknown as SerialPortOpenOptions<typeof SerialPort.binding>);
    // An 'error' without a listener would crash the process: always listen.
    this.port.on('error', (err: Error) => this.fail(err));
    this.port.on('close', (err?: Error | null) => this.fail(err ?? new Error('port closed')));
    const parser = new BoundedReadlineParser(options.maxLineBytes);
    parser.on('data', (line: string) => this.handlers.onLine(line));
    this.port.pipe(parser);
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.port.open((err) => (err ? reject(err) : resolve()));
    });
  }

  write(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.port.isOpen) {
        reject(new Error('port is not open'));
        return;
      }
      this.port.write(data, (err) => (err ? reject(err) : resolve()));
    });
  }

  close(): Promise<void> {
    this.closing = true;
    return new Promise((resolve) => {
      if (!this.port.isOpen) {
        resolve();
        return;
      }
      this.port.close(() => resolve());
    });
  }

  private fail(err: Error): void {
    if (this.closing || this.lost) return;
    this.lost = true;
    this.handlers.onLost(err);
  }
}
