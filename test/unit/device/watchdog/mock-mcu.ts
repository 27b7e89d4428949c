/**
 * A pretend watchdog MCU on @serialport/binding-mock: records the exact bytes
 * each opened port receives, answers lines through a replaceable responder,
 * and can make the port vanish (EIO on read, device gone) and come back.
 */
import { MockBinding } from '@serialport/binding-mock';
import type { MockBindingInterface, MockPortBinding } from '@serialport/binding-mock';

export type Responder = (line: string) => string | null;

export const standardResponder: Responder = (line) => {
  if (line.startsWith('ARM ')) return 'OK ARM';
  if (line === 'DISARM') return 'OK DISARM';
  const hb = /^HB (\d+)$/.exec(line);
  return hb ? `OK ${hb[1]} 1234 POR` : null;
};

export class MockMcu {
  readonly binding: MockBindingInterface;
  readonly ports: MockPortBinding[] = [];
  respond: Responder = standardResponder;

  constructor(private readonly path: string) {
    MockBinding.reset();
    MockBinding.createPort(path, { record: true });
    this.binding = {
      ...MockBinding,
      open: async (options) => {
        const port = await MockBinding.open(options);
        this.attach(port);
        this.ports.push(port);
        return port;
      },
    };
  }

  /** Everything written to the n-th opened port (default: all ports, in order). */
  written(index?: number): string {
    const ports = index === undefined ? this.ports : [this.ports[index]!];
    return ports.map((p) => p.recording.toString('latin1')).join('');
  }

  lines(index?: number): string[] {
    return this.written(index).split('\n').filter((l) => l !== '');
  }

  /** The device disappears: the pending read fails with EIO and re-opening fails. */
  vanish(): void {
    const port = this.ports[this.ports.length - 1] as unknown as { pendingRead: ((e: Error) => void) | null };
    MockBinding.reset();
    const eio = Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    port.pendingRead?.(eio);
  }

  /** The device is back. */
  reappear(): void {
    MockBinding.createPort(this.path, { record: true });
  }

  private attach(port: MockPortBinding): void {
    const write = port.write.bind(port);
    let partial = '';
    port.write = async (buffer: Buffer) => {
      await write(buffer);
      partial += buffer.toString('latin1');
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        const answer = this.respond(line);
        if (answer !== null) setImmediate(() => port.isOpen && port.emitData(`${answer}\n`));
      }
    };
  }
}
