/** Test helpers shared by the device tests: a recording logger and a bounded poll. */
import type { DeviceLogger } from '../../../src/device/logger';
import { timeScale } from '../../helpers/node-exe';

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

export class RecordingLogger implements DeviceLogger {
  readonly entries: LogEntry[] = [];
  info(obj: object, msg = ''): void {
    this.entries.push({ level: 'info', obj: obj as Record<string, unknown>, msg });
  }
  warn(obj: object, msg = ''): void {
    this.entries.push({ level: 'warn', obj: obj as Record<string, unknown>, msg });
  }
  error(obj: object, msg = ''): void {
    this.entries.push({ level: 'error', obj: obj as Record<string, unknown>, msg });
  }
  matching(re: RegExp): LogEntry[] {
    return this.entries.filter((e) => re.test(e.msg));
  }
}

/** Polls until `predicate` holds; fails the test after `limitMs` (a bound, not a timing assertion). */
export async function waitFor(predicate: () => boolean, what: string, limitMs = 8000): Promise<void> {
  const deadline = Date.now() + limitMs * timeScale();
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
