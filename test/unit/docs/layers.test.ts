// The layer table (STYLE.md "A layout that shows the architecture", DESIGN.md "Roles") as a
// rule: every relative import in src/ must point down or sideways. An upward import fails here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const SRC = path.join(__dirname, '../../../src');

/** Pure codecs: they may use each other and util, nothing that logs or does I/O. */
const WIRE = ['msrp/wire', 'sdp', 'xml', 'sip/message', 'util'];
const BASE = ['util', 'log', 'config'];

/** Folder -> folders it may import (its own folder is always allowed). Longest prefix wins. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  // the command line: error classes of the layers it reports on (exit codes), the store for
  // `imedge user`, board detection for `imedge board`
  cli: ['app', 'client', 'admin', ...BASE, 'store', 'device/board', 'sip/stack', 'msrp/net'],
  app: ['admin', 'client', 'im', 'core', 'msrp', 'sip', 'sdp', 'xml', 'store', 'device', ...BASE],
  admin: ['sip/stack', 'store', 'device/health', 'xml', 'im', ...BASE],
  client: ['sip/stack', 'msrp/net', 'msrp/endpoint', ...WIRE, 'log'],
  'im/participating': ['core', 'sip', 'sdp', 'msrp', 'store', 'xml', ...BASE],
  'im/controlling': ['im/policies', 'im/events', 'core', 'msrp/switch', 'msrp/relay', 'msrp/net', 'msrp/wire', 'sip', 'sdp', 'xml', 'store', ...BASE],
  'im/policies': ['util'],
  'im/events': ['sip', 'xml', 'store', ...BASE],
  core: ['sip', 'store', ...BASE],
  'msrp/switch': ['msrp/relay', 'msrp/net', 'msrp/wire', 'util', 'log'],
  'msrp/relay': ['msrp/net', 'msrp/wire', 'util', 'log'],
  'msrp/endpoint': ['msrp/net', 'msrp/wire', 'util', 'log'],
  'msrp/net': ['msrp/wire', 'util', 'log'],
  'msrp/wire': WIRE,
  sdp: WIRE,
  xml: WIRE,
  'sip/message': WIRE,
  'sip/stack': ['sip/message', 'util', 'log'],
  store: ['util', 'config'],
  device: ['util', 'log', 'config'],
  config: ['util'],
  log: ['util'],
  util: [],
};

function layerOf(rel: string): string | undefined {
  const dir = path.dirname(rel).split(path.sep).join('/');
  let best: string | undefined;
  for (const layer of Object.keys(MAY_IMPORT)) {
    if ((dir === layer || dir.startsWith(`${layer}/`)) && (best === undefined || layer.length > best.length)) best = layer;
  }
  return best;
}

function within(target: string, allowed: string): boolean {
  return target === allowed || target.startsWith(`${allowed}/`);
}

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every `from` of a src file, resolved to a path relative to src/ (relative imports only). */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((f) => f.startsWith('.'))
    .map((f) => path.relative(SRC, path.resolve(path.dirname(file), f)).split(path.sep).join('/'));
}

test('STYLE.md layer table: no src module imports a layer above or beside it that the table does not allow', () => {
  const violations: string[] = [];
  for (const file of sources(SRC)) {
    const rel = path.relative(SRC, file);
    const from = layerOf(rel);
    if (from === undefined) {
      violations.push(`${rel}: folder has no row in the layer table`);
      continue;
    }
    for (const target of importsOf(file)) {
      if (target.startsWith('..')) {
        violations.push(`${rel} imports ${target}, outside src/`);
        continue;
      }
      const allowed = [from, ...MAY_IMPORT[from]];
      if (!allowed.some((a) => within(target, a) || within(path.posix.dirname(target), a))) violations.push(`${rel} (${from}) imports ${target}`);
    }
  }
  expect(violations).toEqual([]);
});

test('the layer rule itself catches an upward import', () => {
  const from = layerOf('msrp/wire/parser.ts') as string;
  expect(from).toBe('msrp/wire');
  expect([from, ...MAY_IMPORT[from]].some((a) => within('msrp/net/net', a))).toBe(false);
  expect(layerOf('im/participating/b2bua.ts')).toBe('im/participating');
});
