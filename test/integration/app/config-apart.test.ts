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

// issue 13: under qemu-user without binfmt_misc the arm64 node cannot exec itself; the kernel
// says ENOEXEC and glibc's execvp hands the file to /bin/sh, which exits 2 with nothing on
// stdout. serve must then read the configuration in-process, not stop with "no answer".
describe('configuration read apart, when this node cannot run itself', () => {
  it('a program the kernel cannot exec gives the same configuration, read in-process', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imedge-apart-'));
    const fakeNode = path.join(dir, 'node');
    // an ELF header for another machine: what /bin/sh is handed instead of the emulated node
    fs.writeFileSync(fakeNode, Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(56, 0xb7)]));
    fs.chmodSync(fakeNode, 0o755);
    try {
      const cfg = loadConfigApart({ flags: { board: 'rpi4' } }, fakeNode);
      expect(isDeepStrictEqual(cfg, loadConfig({ flags: { board: 'rpi4' } }))).toBe(true);
      let err: unknown;
      try {
        loadConfigApart({ flags: { board: 'no-such-board' } }, fakeNode);
      } catch (e) {
        err = e;
      }
      expect((err as Error).name).toBe('ConfigError');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
