import * as fs from 'node:fs';
import * as path from 'node:path';

/** The package version, read once from the package.json next to src/ or dist/. */
export function packageVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const p = path.join(dir, 'package.json');
    if (fs.existsSync(p)) {
      try {
        return (JSON.parse(fs.readFileSync(p, 'utf8')) as { version?: string }).version ?? '0.0.0';
      } catch {
        return '0.0.0';
      }
    }
    dir = path.dirname(dir);
  }
  return '0.0.0';
}
