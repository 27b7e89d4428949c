// `imedge serve` reads its configuration in a child process (issue 14 item 4: yaml, valibot and
// the schema stay out of the server's heap). The compiled module is what serve runs.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { listBoards, loadConfig, type ConfigError } from '../../../src/config';

const ROOT = path.resolve(__dirname, '../../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { loadConfigApart } = require(path.join(ROOT, 'dist/src/config/load-apart.js')) as typeof import('../../../src/config/load-apart');

describe('configuration read apart (serve)', () => {
  it('is the configuration loadConfig gives, frozen, for every board profile', () => {
    for (const board of listBoards()) {
      const apart = loadConfigApart({ flags: { board } });
      expect(isDeepStrictEqual(apart, loadConfig({ flags: { board } }))).toBe(true);
      expect(Object.isFrozen(apart.msrp)).toBe(true);
    }
  });

  it('a bad file is a ConfigError naming the key and the file, as loadConfig throws it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imedge-apart-'));
    const file = path.join(dir, 'c.yaml');
    fs.writeFileSync(file, 'msrp:\n  ringBytes: 12\n');
    try {
      let err: unknown;
      try {
        loadConfigApart({ flags: { config: file } });
      } catch (e) {
        err = e;
      }
      // dist's ConfigError class, not src's: compared by name
      expect((err as Error).name).toBe('ConfigError');
      expect((err as ConfigError).key).toBe('msrp.ringBytes');
      expect((err as ConfigError).source).toBe(`config file ${file}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
