// sip@0.0.6 requires ws as it loads, for a WebSocket transport imedge never opens (sip.create
// gets no ws_port): ws and node:https are ~0.3 MB of heap an idle server would keep for
// nothing (issue 14 item 4). Every file of this folder that imports 'sip' imports this module
// first: while sip loads, its require('ws') finds a stand-in, which loads the real ws should
// sip ever use it. The stand-in leaves require's cache as soon as sip is loaded.
import Module from 'node:module';
import * as path from 'node:path';

function wsStandIn(file: string): unknown {
  const real = (): { new (...args: unknown[]): unknown; Server: unknown } => require(file);
  // `new WebSocket(...)` and `new WebSocket.Server(...)` are all sip does with it
  const standIn = function WebSocket(...args: unknown[]): unknown {
    return new (real())(...args);
  };
  Object.defineProperty(standIn, 'Server', { get: () => real().Server });
  return standIn;
}

function loadSipWithoutWs(): void {
  const sipFile = require.resolve('sip');
  if (require.cache[sipFile] !== undefined) return;
  const wsFile = require.resolve('ws', { paths: [path.dirname(sipFile)] });
  if (require.cache[wsFile] !== undefined) return;
  const m = new Module(wsFile);
  m.filename = wsFile;
  m.loaded = true;
  m.exports = wsStandIn(wsFile);
  require.cache[wsFile] = m;
  try {
    require(sipFile);
  } finally {
    if (require.cache[wsFile] === m) delete require.cache[wsFile];
  }
}

loadSipWithoutWs();
