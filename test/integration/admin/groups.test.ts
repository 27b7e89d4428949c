// Pre-defined groups through both doors (issue 9 item 3): PUT/GET/DELETE /groups/<id> on the
// admin port and `imedge group import|list|show|delete`, the same checks for both; an invalid
// document is refused naming the element.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { runCli, startServer, tempDir, type ServerHandle } from '../../helpers/server';

const FIX = path.resolve(__dirname, '../../fixtures/xml');
const SALES = fs.readFileSync(path.join(FIX, 'group-sales-team.xml'), 'utf8');
const DOMAIN = 'branch.example.com';

function call(port: number, method: string, p: string, body?: string, type = 'application/xml'): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, method, headers: body !== undefined ? { 'content-type': type, 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('admin /groups', () => {
  let s: ServerHandle;
  beforeAll(async () => {
    s = await startServer({ args: ['--domain', DOMAIN] });
  });
  afterAll(async () => {
    await s.stop();
  });

  test('PUT creates (201) then replaces (200); GET returns the document as stored; GET /groups lists it; DELETE removes it', async () => {
    expect((await call(s.httpPort, 'PUT', '/groups/sales-team', SALES)).status).toBe(201);
    expect((await call(s.httpPort, 'PUT', '/groups/sales-team', SALES)).status).toBe(200);
    const got = await call(s.httpPort, 'GET', '/groups/sales-team');
    expect(got.status).toBe(200);
    expect(got.headers['content-type']).toMatch(/^application\/xml/);
    expect(got.text).toBe(SALES);
    const list = JSON.parse((await call(s.httpPort, 'GET', '/groups')).text) as { groups: { id: string }[] };
    expect(list.groups.map((g) => g.id)).toEqual(['sales-team']);
    expect((await call(s.httpPort, 'DELETE', '/groups/sales-team')).status).toBe(200);
    expect((await call(s.httpPort, 'GET', '/groups/sales-team')).status).toBe(404);
    expect((await call(s.httpPort, 'DELETE', '/groups/sales-team')).status).toBe(404);
  });

  test('an invalid document is 400 naming the element; nothing is stored', async () => {
    const bad = SALES.replace('<max-participant-count>4</max-participant-count>', '<max-participant-count>ten</max-participant-count>');
    const r = await call(s.httpPort, 'PUT', '/groups/sales-team', bad);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)).toMatchObject({ element: 'list-service/max-participant-count' });
    expect((await call(s.httpPort, 'GET', '/groups/sales-team')).status).toBe(404);
  });

  test('the document must name the group of the URL, in the served domain', async () => {
    const r = await call(s.httpPort, 'PUT', '/groups/other', SALES);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error).toMatch(/list-service\/@uri: names group "sales-team"/);
    const foreign = SALES.replace('sip:sales-team@branch.example.com', 'sip:sales-team@elsewhere.example.org');
    expect(JSON.parse((await call(s.httpPort, 'PUT', '/groups/sales-team', foreign)).text).error).toMatch(/served domain/);
  });

  test('a DOCTYPE (entity expansion) is refused; a non-XML type is 415; other methods 405', async () => {
    const laughs = fs.readFileSync(path.join(FIX, 'billion-laughs.xml'), 'utf8');
    expect((await call(s.httpPort, 'PUT', '/groups/sales-team', laughs)).status).toBe(400);
    expect((await call(s.httpPort, 'PUT', '/groups/sales-team', SALES, 'text/plain')).status).toBe(415);
    const post = await call(s.httpPort, 'POST', '/groups/sales-team', SALES);
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD, PUT, DELETE');
  });

  test('a body over 1 MiB is 413', async () => {
    const r = await call(s.httpPort, 'PUT', '/groups/sales-team', SALES + ' '.repeat(1024 * 1024 + 1));
    expect(r.status).toBe(413);
  });
});

describe('imedge group', () => {
  test('import, list, show, delete round-trip the document; an invalid one exits 2 naming the element', async () => {
    const dataDir = tempDir();
    const file = path.join(tempDir(), 'sales.xml');
    fs.writeFileSync(file, SALES);
    const flags = ['--data-dir', dataDir, '--domain', DOMAIN];
    const imp = await runCli(['group', 'import', file, ...flags]);
    expect(imp.code).toBe(0);
    expect(imp.stdout).toContain('created group sales-team');
    expect((await runCli(['group', 'list', ...flags])).stdout).toMatch(/^sales-team\tsip:sales-team@branch\.example\.com\t/);
    expect((await runCli(['group', 'show', 'sales-team', ...flags])).stdout).toBe(SALES.endsWith('\n') ? SALES : `${SALES}\n`);
    const badFile = path.join(tempDir(), 'bad.xml');
    fs.writeFileSync(badFile, SALES.replace('<invite-members>true</invite-members>', '<invite-members>maybe</invite-members>'));
    const bad = await runCli(['group', 'import', badFile, ...flags]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('list-service/invite-members');
    expect((await runCli(['group', 'delete', 'sales-team', ...flags])).code).toBe(0);
    expect((await runCli(['group', 'show', 'sales-team', ...flags])).code).toBe(1);
  });
});

describe('groups.maxStoredGroups (issue 11 item 5)', () => {
  const doc = (id: string) => SALES.replace('sip:sales-team@branch.example.com', `sip:${id}@branch.example.com`);

  test('PUT of a new group beyond the limit is 507 naming the limit, counted; an update of a stored one and a create after a delete go through', async () => {
    const s = await startServer({ args: ['--domain', DOMAIN], env: { IMEDGE_GROUPS__MAX_STORED_GROUPS: '2' } });
    try {
      expect((await call(s.httpPort, 'PUT', '/groups/g1', doc('g1'))).status).toBe(201);
      expect((await call(s.httpPort, 'PUT', '/groups/g2', doc('g2'))).status).toBe(201);
      const full = await call(s.httpPort, 'PUT', '/groups/g3', doc('g3'));
      expect(full.status).toBe(507);
      expect(JSON.parse(full.text)).toMatchObject({ limit: 2 });
      expect(JSON.parse(full.text).error).toMatch(/groups\.maxStoredGroups/);
      expect((await call(s.httpPort, 'GET', '/groups/g3')).status).toBe(404);
      // attack finding: the admin page's form path answered 500 at the limit
      const form = JSON.parse((await call(s.httpPort, 'GET', '/groups/g1/form')).text) as { form: Record<string, unknown> };
      const viaForm = await call(s.httpPort, 'PUT', '/groups/g3/form', JSON.stringify(form.form), 'application/json');
      expect(viaForm.status).toBe(507);
      expect(JSON.parse(viaForm.text).error).toMatch(/groups\.maxStoredGroups/);
      expect((await call(s.httpPort, 'PUT', '/groups/g2', doc('g2'))).status).toBe(200);
      const metrics = (await call(s.httpPort, 'GET', '/metrics')).text;
      expect(metrics).toMatch(/^imedge_groups\{figure="storedRefused"\} 2$/m);
      expect(metrics).toMatch(/^imedge_groups\{figure="stored"\} 2$/m);
      await s.waitForLog((l) => l.msg === 'group limit reached (groups.maxStoredGroups): a new group was refused');
      expect((await call(s.httpPort, 'DELETE', '/groups/g1')).status).toBe(200);
      expect((await call(s.httpPort, 'PUT', '/groups/g3', doc('g3'))).status).toBe(201);
    } finally {
      await s.stop();
    }
  });

  test('imedge group import beyond the limit exits 1 with the limit named; nothing is stored', async () => {
    const dataDir = tempDir();
    const dir = tempDir();
    const flags = ['--data-dir', dataDir, '--domain', DOMAIN];
    const env = { IMEDGE_GROUPS__MAX_STORED_GROUPS: '1' };
    for (const id of ['g1', 'g2']) fs.writeFileSync(path.join(dir, `${id}.xml`), doc(id));
    expect((await runCli(['group', 'import', path.join(dir, 'g1.xml'), ...flags], { env })).code).toBe(0);
    const refused = await runCli(['group', 'import', path.join(dir, 'g2.xml'), ...flags], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not imported: the group limit is reached: 1 groups are stored \(groups\.maxStoredGroups\)/);
    expect((await runCli(['group', 'list', ...flags])).stdout.trim().split('\n')).toHaveLength(1);
  });
});
