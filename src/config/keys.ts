/**
 * Reads the schema back as a flat list of keys (path, kind, bounds, default,
 * doc, environment variable). Error messages, environment conversion and the
 * README table all come from this list, so they cannot drift from the schema.
 */
import { configSchema } from './schema';

export type KeyKind = 'integer' | 'number' | 'boolean' | 'string' | 'enum' | 'enum-list';

export interface KeyInfo {
  /** Dotted path, e.g. "sip.maxContentLength". */
  readonly path: string;
  readonly kind: KeyKind;
  readonly doc: string;
  readonly default: unknown;
  readonly min?: number;
  readonly max?: number;
  readonly options?: readonly string[];
  /** What a valid value looks like, in words. */
  readonly allowed: string;
  /** IMEDGE_<PATH> name of the environment variable. */
  readonly env: string;
}

export interface SectionInfo {
  readonly path: string;
  readonly doc: string;
}

export interface KeyTable {
  readonly keys: readonly KeyInfo[];
  readonly sections: readonly SectionInfo[];
  readonly byPath: ReadonlyMap<string, KeyInfo>;
  readonly byEnv: ReadonlyMap<string, KeyInfo>;
}

/** The only extra IMEDGE_* variable: the path of the config file. */
export const CONFIG_FILE_ENV = 'IMEDGE_CONFIG';

// The parts of a valibot schema object this walker reads.
interface Node {
  type: string;
  default?: unknown;
  wrapped?: Node;
  entries?: Record<string, Node>;
  options?: readonly string[];
  item?: Node;
  pipe?: readonly Step[];
  requirement?: unknown;
}
interface Step {
  kind: string;
  type: string;
  requirement?: unknown;
  description?: string;
  metadata?: Record<string, unknown>;
}

/** Upper snake case of one camelCase key; "KiB"/"MiB" stay one word. */
export function envWord(key: string): string {
  return key
    .replace(/([KMG])iB/g, (_m, p: string) => `_${p}IB`)
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/^_/, '')
    .toUpperCase();
}

/** sip.maxContentLength -> IMEDGE_SIP__MAX_CONTENT_LENGTH */
export function envName(path: string): string {
  return `IMEDGE_${path.split('.').map(envWord).join('__')}`;
}

function stepsOf(node: Node): readonly Step[] {
  return node.pipe ?? [];
}

function docOf(node: Node): string {
  return stepsOf(node).find((s) => s.type === 'description')?.description ?? '';
}

function requirement(node: Node, type: string): number | undefined {
  const r = stepsOf(node).find((s) => s.type === type)?.requirement;
  return typeof r === 'number' ? r : undefined;
}

function describeRange(kind: string, min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return `${kind} ${min}..${max}`;
  if (min !== undefined) return `${kind} >= ${min}`;
  if (max !== undefined) return `${kind} <= ${max}`;
  return kind;
}

function leafInfo(path: string, opt: Node): KeyInfo {
  const node = opt.wrapped ?? opt;
  const dflt = typeof opt.default === 'function' ? (opt.default as () => unknown)() : opt.default;
  const base = { path, doc: docOf(node), default: dflt, env: envName(path) };
  const min = requirement(node, 'min_value');
  const max = requirement(node, 'max_value');
  switch (node.type) {
    case 'number': {
      const isInt = stepsOf(node).some((s) => s.type === 'integer');
      const kind = isInt ? 'integer' : 'number';
      return { ...base, kind, min, max, allowed: describeRange(kind, min, max) };
    }
    case 'boolean':
      return { ...base, kind: 'boolean', allowed: 'true or false' };
    case 'picklist': {
      const options = node.options ?? [];
      return { ...base, kind: 'enum', options, allowed: `one of ${options.join(', ')}` };
    }
    case 'array': {
      const options = node.item?.options ?? [];
      return { ...base, kind: 'enum-list', options, allowed: `a non-empty list of distinct values from ${options.join(', ')}` };
    }
    case 'string': {
      const said = stepsOf(node).find((s) => s.type === 'metadata')?.metadata?.['allowed'];
      return { ...base, kind: 'string', allowed: typeof said === 'string' ? said : 'a string' };
    }
    default:
      throw new Error(`config schema: unsupported leaf type ${node.type} at ${path}`);
  }
}

function walk(entries: Record<string, Node>, prefix: string, keys: KeyInfo[], sections: SectionInfo[]): void {
  for (const [name, opt] of Object.entries(entries)) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    const node = opt.wrapped ?? opt;
    if (node.type === 'strict_object' && node.entries !== undefined) {
      sections.push({ path, doc: docOf(node) });
      walk(node.entries, path, keys, sections);
    } else {
      keys.push(leafInfo(path, opt));
    }
  }
}

/** Builds the key table from the schema (cheap; callers may keep the result). */
export function keyTable(): KeyTable {
  const keys: KeyInfo[] = [];
  const sections: SectionInfo[] = [];
  walk((configSchema as unknown as Node).entries ?? {}, '', keys, sections);
  return {
    keys,
    sections,
    byPath: new Map(keys.map((k) => [k.path, k])),
    byEnv: new Map(keys.map((k) => [k.env, k])),
  };
}
