/**
 * Linux kernel watchdog device (/dev/watchdog): any write pets it; writing
 * 'V' just before close is the "magic close" that disarms it on a planned
 * stop (Documentation/watchdog/watchdog-api.rst). Closing without it leaves
 * the watchdog armed, which is what a re-open after an error needs.
 */
import { constants, promises as fsp } from 'fs';
import type { WatchdogLink } from './link';

export const MAGIC_CLOSE = Buffer.from('V', 'ascii');

export class DevWatchdogLink implements WatchdogLink {
  private handle: fsp.FileHandle | null = null;

  /** Write errors reach the caller, which re-opens; there is nothing to read. */
  constructor(private readonly path: string) {}

  async open(): Promise<void> {
    // No O_CREAT: a missing device must fail, not create a regular file.
    this.handle = await fsp.open(this.path, constants.O_WRONLY);
  }

  async write(data: Buffer): Promise<void> {
    if (this.handle === null) throw new Error('watchdog device is not open');
    await this.handle.write(data);
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    if (handle !== null) await handle.close().catch(() => undefined);
  }
}
