/** Reads a YAML or JSON configuration document (JSON is read as YAML 1.2, of which it is a subset). */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ConfigError } from './errors';

/** Config files are a few KiB; refuse anything absurd before parsing it. */
const MAX_FILE_BYTES = 1024 * 1024;

/**
 * Parses the text of a configuration document. An empty document is an empty
 * layer. Syntax errors name the line and column. `key` is what the resulting
 * ConfigError names (the flag or variable that pointed at the file).
 */
export function parseConfigText(text: string, file: string, key: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const err = doc.errors[0];
  if (err !== undefined) {
    // With prettyErrors the first line of the message already ends in
    // "at line L, column C:"; linePos is the same position as numbers.
    const pos = err.linePos?.[0];
    const first = (err.message.split('\n')[0] ?? err.message).replace(/:\s*$/, '');
    const where = pos === undefined || first.includes(' at line ') ? '' : ` at line ${pos.line}, column ${pos.col}`;
    throw new ConfigError(key, `${file}: syntax error: ${first}${where}`, file);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // yaml reports some faults only when building the value, as a plain Error (fuzz finding:
    // an alias with no anchor, `*a`, threw a ReferenceError out of loadConfig); an alias bomb
    // past maxAliasCount too. Both are bad files, named like a syntax error.
    const reason = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new ConfigError(key, `${file}: syntax error: ${reason}`, file);
  }
  return value ?? {};
}

export function readConfigFile(file: string, key: string): unknown {
  let text: string;
  try {
    const buf = readFileSync(file);
    if (buf.length > MAX_FILE_BYTES) {
      throw new ConfigError(key, `${file}: larger than ${MAX_FILE_BYTES} bytes, not a configuration file`, file);
    }
    text = buf.toString('utf8');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const reason = e instanceof Error ? e.message : String(e);
    throw new ConfigError(key, `cannot read configuration file ${file}: ${reason}`, file);
  }
  return parseConfigText(text, file, key);
}
