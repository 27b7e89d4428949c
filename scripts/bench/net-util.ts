/** Loopback helpers: free ports and waiting for a listener. */
import { connect, createServer, type AddressInfo } from 'node:net';

/** A port free right now on 127.0.0.1 (the kernel picks it; another process could take it after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function tryConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/** Polls until something accepts on 127.0.0.1:port; false after timeoutMs or when gave-up() says so. */
export async function waitForListener(port: number, timeoutMs: number, gaveUp: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gaveUp()) return false;
    if (await tryConnect(port)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
