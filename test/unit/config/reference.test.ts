import { DEFAULT_CONFIG, configReference, envName } from '../../../src/config';

function leafPaths(obj: object, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, val]) => {
    const p = prefix === '' ? k : `${prefix}.${k}`;
    return typeof val === 'object' && val !== null && !Array.isArray(val) ? leafPaths(val as object, p) : [p];
  });
}

describe('configReference', () => {
  const table = configReference();
  const rows = table.trim().split('\n');

  it('is a Markdown table with key, environment, type, default and description columns', () => {
    expect(rows[0]).toBe('| key | environment | type / allowed | default | description |');
    expect(rows[1]).toBe('|---|---|---|---|---|');
  });

  it('contains every key, with its environment variable', () => {
    const paths = leafPaths(DEFAULT_CONFIG);
    expect(paths.length).toBeGreaterThan(50);
    for (const p of paths) {
      const row = rows.find((r) => r.startsWith(`| \`${p}\` |`));
      expect(row).toBeDefined();
      expect(row).toContain(`\`${envName(p)}\``);
    }
    expect(rows.length).toBe(paths.length + 2);
  });

  it('every row has a description, an allowed range and a default', () => {
    for (const r of rows.slice(2)) {
      const cells = r.split(' | ');
      expect(cells).toHaveLength(5);
      for (const c of cells) expect(c.replace(/[|\s]/g, '').length).toBeGreaterThan(0);
    }
    expect(table).toContain('| `sip.port` | `IMEDGE_SIP__PORT` | integer 0..65535 | `5060` |');
  });
});
