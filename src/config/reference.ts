/** The configuration reference for the README, generated from the schema. */
import { keyTable } from './keys';

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\n/g, ' ');
}

function shown(value: unknown): string {
  if (Array.isArray(value)) return `\`${value.join(',')}\``;
  if (typeof value === 'string') return value === '' ? '(empty)' : `\`${JSON.stringify(value)}\``;
  return `\`${String(value)}\``;
}

/** A Markdown table: key, environment variable, type/allowed, default, doc. */
export function configReference(): string {
  const rows = keyTable().keys.map(
    (k) => `| \`${k.path}\` | \`${k.env}\` | ${cell(k.allowed)} | ${cell(shown(k.default))} | ${cell(k.doc)} |`,
  );
  return ['| key | environment | type / allowed | default | description |', '|---|---|---|---|---|', ...rows, ''].join('\n');
}
