// Config files (src/config): any file content, YAML or JSON, is loaded through loadConfig as
// `imedge serve --config FILE` loads it, and the only failure is a ConfigError.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig } from '../../../src/config';
import { garbageArb, seedFiles } from '../mutate';
import { onlyTyped, type Harness } from '../runner';

const SEEDS = [
  ...seedFiles('board', /\.yaml$/),
  Buffer.from('{"sip":{"port":5070,"tcp":true},"msrp":{"port":2855},"log":{"level":"debug"},"board":"rpi4"}\n'),
  Buffer.from('bind: 127.0.0.1\nauth:\n  mode: "off"\ntls:\n  cert: a.pem\n  key: b.pem\nsessions: {maxTotal: 1e309}\n'),
];
const TOKENS = [
  '\n', ': ', '- ', '  ', '{', '}', '[', ']', ',', '"', "'", '&a ', '*a', '<<: ', '!!binary ', '!!js/function ', '!!str ', '? ', '|', '>',
  '---\n', '...\n', '%YAML 1.2\n', 'sip:', 'msrp:', 'port: ', '65536', '-1', '0x10', '1e309', '.nan', 'null', '~', 'true', 'board: ',
  'bind: 0.0.0.0', '__proto__: ', 'constructor: ', 'dataDir: ', '\x00', '\xff', '\t', '#',
];

let dir: string | undefined;
function fileWith(data: Buffer): string {
  dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'imedge-fuzz-config-'));
  const f = path.join(dir, 'imedge.yaml');
  fs.writeFileSync(f, data);
  return f;
}

export const configHarness: Harness = {
  parser: 'config',
  properties: [
    {
      name: 'garbage',
      bytes: true,
      arbitrary: garbageArb(SEEDS, TOKENS),
      check: (data: Buffer) => {
        const file = fileWith(data);
        onlyTyped(() => loadConfig({ flags: { config: file }, env: {}, cwd: path.dirname(file) }), ConfigError);
      },
      quickRuns: 100,
    },
  ],
};
