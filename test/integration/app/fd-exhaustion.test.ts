// Attack finding (issue 16 follow-up): 1,100 SIP TCP connections with a partial head made the
// process exit with EMFILE under the usual 1024 open-file limit. Now the connection caps are
// fitted under the limit at start-up, so a flood meets the cap and the process keeps serving.
import * as http from 'node:http';
import * as net from 'node:net';
import { startServer } from '../../helpers/server';
import { SipPeer } from '../../helpers/sip-peer';

const getStatus = (port: number) =>
  new Promise<number>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/healthz' }, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on('error', reject);
  });

test('under ulimit -n 256, 400 half-open SIP TCP heads and 300 idle MSRP connections do not take the process down', async () => {
  const s = await startServer({ openFiles: 256 });
  const socks: net.Socket[] = [];
  try {
    const lowered = await s.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('connection caps lowered'));
    expect(lowered.openFileLimit).toBe(256);
    const open = (port: number, bytes?: string) =>
      new Promise<void>((resolve) => {
        const c = net.connect(port, '127.0.0.1');
        c.on('error', () => resolve());
        c.on('close', () => resolve());
        c.on('connect', () => {
          if (bytes !== undefined) c.write(bytes);
          resolve();
        });
        socks.push(c);
      });
    for (let i = 0; i < 400; i++) await open(s.sipPort, 'OPTIONS sip:localhost SIP/2.0\r\nX-Pad: ');
    for (let i = 0; i < 300; i++) await open(s.msrpPort!);
    await new Promise((r) => setTimeout(r, 500));
    expect(s.proc.exitCode).toBeNull();
    expect(await getStatus(s.httpPort)).toBe(200);
    const p = await SipPeer.open('UDP', s.sipPort);
    const r = await p.request({ method: 'OPTIONS', uri: 'sip:localhost', from: 'sip:probe@localhost', to: 'sip:localhost' });
    p.close();
    expect(r.status).toBe(200);
  } finally {
    for (const c of socks) c.destroy();
    expect(await s.stop()).toBe(0);
  }
});
