/**
 * systemd/imedge.service passes `systemd-analyze verify`, and
 * scripts/install.sh stages a complete, idempotent installation into a
 * temporary DESTDIR.
 */
import { spawnSync } from 'child_process';
import { accessSync, constants, promises as fsp, readFileSync } from 'fs';
import * as crypto from 'crypto';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..', '..');
const UNIT = path.join(ROOT, 'systemd', 'imedge.service');
const INSTALL = path.join(ROOT, 'scripts', 'install.sh');

function haveSystemdAnalyze(): boolean {
  return spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

describe('systemd/imedge.service', () => {
  const unit = readFileSync(UNIT, 'utf8');
  const directives = unit.split('\n').filter((l) => /^[A-Za-z]+=/.test(l));

  it('has the service settings the design relies on', () => {
    for (const d of [
      'Type=notify',
      'NotifyAccess=all',
      'WatchdogSec=20',
      'Restart=on-failure',
      'RestartSec=2',
      'User=imedge',
      'Group=imedge',
      'SupplementaryGroups=dialout',
      'StateDirectory=imedge',
      'WorkingDirectory=/var/lib/imedge',
      'ExecStart=/usr/bin/node --max-semi-space-size=1 /opt/imedge/dist/src/cli/main.js serve --config /etc/imedge/imedge.yaml --data-dir /var/lib/imedge',
      'ProtectSystem=strict',
      'ProtectHome=yes',
      'NoNewPrivileges=yes',
      'PrivateTmp=yes',
      'KillSignal=SIGTERM',
    ]) {
      expect(directives).toContain(d);
    }
    expect(directives.some((d) => d.startsWith('DeviceAllow=char-ttyS'))).toBe(true);
    expect(directives.some((d) => d.startsWith('MemoryMax='))).toBe(true);
    expect(directives.some((d) => d.startsWith('TimeoutStopSec='))).toBe(true);
    // V8 needs writable+executable pages.
    expect(directives.some((d) => d.startsWith('MemoryDenyWriteExecute'))).toBe(false);
  });

  // .ci/run installs systemd; a machine without systemd-analyze fails here rather than skipping.
  it('passes systemd-analyze verify with no warning at all', async () => {
    if (!haveSystemdAnalyze()) throw new Error('systemd-analyze is required: apt-get install -y systemd (see .ci/run)');
    // verify checks that ExecStart's binary is executable; where /usr/bin/node
    // is absent, verify a copy pointing at the node running this test. It
    // does not check that the user exists.
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'imedge-unit-'));
    try {
      const copy = path.join(dir, 'imedge.service');
      const text = isExecutable('/usr/bin/node') ? unit : unit.replace('ExecStart=/usr/bin/node ', `ExecStart=${process.execPath} `);
      await fsp.writeFile(copy, text);
      const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
      expect({ status: r.status, stderr: r.stderr.trim(), stdout: r.stdout.trim() }).toEqual({ status: 0, stderr: '', stdout: '' });
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});

/** path -> mode, size, mtime and content hash of every entry under `root`. */
async function manifest(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  async function walk(dir: string): Promise<void> {
    for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const st = await fsp.lstat(full);
      let content = '';
      if (entry.isFile()) content = crypto.createHash('sha256').update(await fsp.readFile(full)).digest('hex');
      if (entry.isSymbolicLink()) content = await fsp.readlink(full);
      out.set(path.relative(root, full), `${st.mode.toString(8)} ${st.size} ${st.mtimeMs} ${content}`);
      if (entry.isDirectory()) await walk(full);
    }
  }
  await walk(root);
  return out;
}

describe('scripts/install.sh into a temporary DESTDIR', () => {
  let tmp: string;
  let source: string;
  let destdir: string;

  beforeEach(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'imedge-install-'));
    // A small stand-in for a built tree: the script must not care about sizes.
    source = path.join(tmp, 'src');
    destdir = path.join(tmp, 'root');
    await fsp.mkdir(path.join(source, 'dist', 'src', 'cli'), { recursive: true });
    await fsp.mkdir(path.join(source, 'node_modules', 'dep', 'lib'), { recursive: true });
    await fsp.mkdir(path.join(source, 'node_modules', '.bin'), { recursive: true });
    await fsp.mkdir(path.join(source, 'board'), { recursive: true });
    await fsp.mkdir(path.join(source, 'systemd'), { recursive: true });
    await fsp.writeFile(path.join(source, 'package.json'), '{"name":"imedge"}\n');
    await fsp.writeFile(path.join(source, 'package-lock.json'), '{}\n');
    await fsp.writeFile(path.join(source, 'dist', 'src', 'cli', 'main.js'), 'console.log("imedge")\n');
    await fsp.writeFile(path.join(source, 'node_modules', 'dep', 'lib', 'index.js'), 'module.exports = 1\n');
    await fsp.symlink('../dep/lib/index.js', path.join(source, 'node_modules', '.bin', 'dep'));
    await fsp.writeFile(path.join(source, 'board', 'rpi4.yaml'), 'name: rpi4\n');
    await fsp.copyFile(UNIT, path.join(source, 'systemd', 'imedge.service'));
    await fsp.copyFile(path.join(ROOT, 'systemd', 'imedge.yaml'), path.join(source, 'systemd', 'imedge.yaml'));
  });

  afterEach(async () => {
    await fsp.rm(tmp, { recursive: true, force: true });
  });

  function install(...args: string[]): { status: number | null; stdout: string; stderr: string } {
    const env = { ...process.env, DESTDIR: destdir };
    return spawnSync('bash', [INSTALL, '--source', source, ...args], { encoding: 'utf8', env });
  }

  it('stages the application, the config and the unit, and prints what it would do as root', async () => {
    const r = install();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const app = path.join(destdir, 'opt', 'imedge');
    expect(await fsp.readFile(path.join(app, 'dist', 'src', 'cli', 'main.js'), 'utf8')).toContain('imedge');
    expect(await fsp.readFile(path.join(app, 'node_modules', 'dep', 'lib', 'index.js'), 'utf8')).toContain('module.exports');
    expect(await fsp.readlink(path.join(app, 'node_modules', '.bin', 'dep'))).toBe('../dep/lib/index.js');
    expect(await fsp.readFile(path.join(app, 'board', 'rpi4.yaml'), 'utf8')).toBe('name: rpi4\n');
    expect(await fsp.readFile(path.join(app, 'package.json'), 'utf8')).toContain('imedge');
    expect(await fsp.readFile(path.join(destdir, 'etc', 'systemd', 'system', 'imedge.service'), 'utf8')).toBe(readFileSync(UNIT, 'utf8'));
    const config = await fsp.stat(path.join(destdir, 'etc', 'imedge', 'imedge.yaml'));
    expect(config.mode & 0o777).toBe(0o640);
    expect(r.stdout).toMatch(/would run: useradd .*imedge/);
    expect(r.stdout).toMatch(/would run: usermod -a -G dialout imedge/);
    expect(r.stdout).toMatch(/would run: systemctl daemon-reload && systemctl enable imedge.service/);
  });

  it('is idempotent: a second run changes nothing', async () => {
    expect(install().status).toBe(0);
    const first = await manifest(destdir);
    const r = install();
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/writing/);
    expect(await manifest(destdir)).toEqual(first);
  });

  it("never overwrites the user's configuration, and removes files gone from the build", async () => {
    expect(install().status).toBe(0);
    const config = path.join(destdir, 'etc', 'imedge', 'imedge.yaml');
    await fsp.writeFile(config, 'domain: branch.example\n');
    await fsp.rm(path.join(source, 'node_modules', 'dep', 'lib', 'index.js'));
    const r = install();
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/keeping existing \/etc\/imedge\/imedge.yaml/);
    expect(await fsp.readFile(config, 'utf8')).toBe('domain: branch.example\n');
    await expect(fsp.access(path.join(destdir, 'opt', 'imedge', 'node_modules', 'dep', 'lib', 'index.js'))).rejects.toThrow();
  });

  it('refuses native addons built for another architecture than the target, naming the way out', async () => {
    // an ELF header whose e_machine (bytes 18-19) says aarch64 (183)
    const elf = Buffer.alloc(64);
    elf.write('\x7fELF', 0, 'latin1');
    elf.writeUInt16LE(183, 18);
    const dir = path.join(source, 'node_modules', 'better-sqlite3', 'build', 'Release');
    await fsp.mkdir(dir, { recursive: true });
    await fsp.writeFile(path.join(dir, 'better_sqlite3.node'), elf);
    const onX86 = install('--target-arch', 'x86_64');
    expect(onX86.status).not.toBe(0);
    expect(onX86.stderr).toMatch(/better_sqlite3\.node is built for aarch64, this machine is x86_64: run 'install.sh --build'/);
    expect(install('--target-arch', 'aarch64').status).toBe(0);
  });

  it('rewrites ExecStart for another --prefix, and refuses an unbuilt tree', async () => {
    expect(install('--prefix', '/srv/imedge').status).toBe(0);
    const unit = await fsp.readFile(path.join(destdir, 'etc', 'systemd', 'system', 'imedge.service'), 'utf8');
    expect(unit).toContain('ExecStart=/usr/bin/node --max-semi-space-size=1 /srv/imedge/dist/src/cli/main.js serve');
    await fsp.access(path.join(destdir, 'srv', 'imedge', 'dist', 'src', 'cli', 'main.js'));

    await fsp.rm(path.join(source, 'dist'), { recursive: true });
    const r = install();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/npm run build/);
  });
});
