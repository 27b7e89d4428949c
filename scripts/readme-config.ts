// Regenerates the configuration reference inside README.md from the schema:
//   npx tsc && node dist/scripts/readme-config.js
// test/unit/readme.test.ts fails when the README and the schema disagree.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configReference } from '../src/config';

export const BEGIN = '<!-- config-reference:begin -->';
export const END = '<!-- config-reference:end -->';

export function withReference(readme: string): string {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error('README.md has no config-reference markers');
  return readme.slice(0, a + BEGIN.length) + '\n' + configReference().trim() + '\n' + readme.slice(b);
}

if (require.main === module) {
  const file = path.resolve(__dirname, '../../README.md');
  fs.writeFileSync(file, withReference(fs.readFileSync(file, 'utf8')));
  process.stdout.write(`updated ${file}\n`);
}
