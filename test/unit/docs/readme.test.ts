// The README's configuration reference is generated from the schema; this keeps them in step.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { withReference } from '../../../scripts/readme-config';

test('README configuration reference matches the schema (run node dist/scripts/readme-config.js)', () => {
  const readme = fs.readFileSync(path.resolve(__dirname, '../../../README.md'), 'utf8');
  expect(withReference(readme)).toBe(readme);
});

test('README gives the two commands', () => {
  const readme = fs.readFileSync(path.resolve(__dirname, '../../../README.md'), 'utf8');
  expect(readme).toContain('npm install && npm start');
  expect(readme).toContain('npm install && npm test');
});
