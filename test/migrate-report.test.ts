import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseManifests } from '../src/sources/file/manifests.ts';
import { migrationGuide } from '../src/translate/nginx/guide.ts';
import { NGINX_ANNOTATIONS } from '../src/translate/nginx/index.ts';
import { migrationReport, renderReport } from '../src/translate/nginx/report.ts';
import { writeKubeconfig } from './support/fake-apiserver/kubeconfig.ts';
import { FakeApiServer } from './support/fake-apiserver/server.ts';

const run = promisify(execFile);
const node = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url));
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const dir = fileURLToPath(new URL('./golden/migrate/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';

function golden(path: string, got: string): void {
  if (update) writeFileSync(path, got);
  let want: string;
  try {
    want = readFileSync(path, 'utf8');
  } catch {
    assert.fail(`${path} is missing: run UPDATE_GOLDEN=1 node --test test/migrate-report.test.ts`);
  }
  assert.equal(got, want);
}

/**
 * `rauta migrate`: golden files for the report (text and JSON), the command itself from files and
 * against the fake API server, and the registry behind it.
 */
describe('migrate - the migration report', () => {
  const cases = readdirSync(dir).filter((f) => f.endsWith('.in.yaml')).sort();

  for (const file of cases) {
    const name = file.slice(0, -'.in.yaml'.length);
    it(`golden - ${name}`, () => {
      const report = migrationReport(parseManifests([{ name: file, text: readFileSync(dir + file, 'utf8') }]));
      golden(`${dir}${name}.out.txt`, renderReport(report));
      golden(`${dir}${name}.out.json`, `${JSON.stringify(report, null, 2)}\n`);
    });
  }

  it('report - totals add up and judge each Ingress by its worst annotation', () => {
    const report = migrationReport(parseManifests([{ name: 'x.yaml', text: readFileSync(`${dir}ingress-nginx.in.yaml`, 'utf8') }]));
    const t = report.totals;
    assert.equal(t.ingresses, report.ingresses.length);
    assert.equal(t.unchanged + t.differences + t.degraded + t['not-served'], t.ingresses);
    const by = new Map(report.ingresses.map((i) => [i.ingress, i]));
    assert.equal(by.get('shop/plain')?.status, 'unchanged');
    assert.equal(by.get('shop/api')?.status, 'unchanged');
    assert.equal(by.get('shop/legacy')?.status, 'differences');
    assert.equal(by.get('ops/risky')?.status, 'not-served');
    assert.equal(by.get('shop/canary')?.status, 'differences');
    const typo = by.get('ops/risky')?.annotations.find((a) => a.annotation.endsWith('proxy-body-sise'));
    assert.equal(typo?.outcome, 'typo');
  });

  it('registry - every entry has a verdict, a behaviour, and a difference unless honoured; names are unique', () => {
    const names = new Set<string>();
    for (const e of NGINX_ANNOTATIONS) {
      assert.ok(!names.has(e.name), `${e.name} twice`);
      names.add(e.name);
      assert.match(e.name, /^[a-z0-9-]+$/);
      assert.ok(e.behaviour.length > 0, e.name);
      if (e.verdict !== 'honoured') assert.ok((e.difference ?? e.behaviour).length > 0, e.name);
    }
    assert.ok(names.size >= 120, `only ${names.size} annotations`);
  });

  it('docs - docs/migration-from-ingress-nginx.md is the guide generated from the registry (node scripts/gen-migration-guide.ts)', () => {
    const doc = readFileSync(new URL('../docs/migration-from-ingress-nginx.md', import.meta.url), 'utf8');
    assert.equal(doc, migrationGuide());
    for (const e of NGINX_ANNOTATIONS) assert.ok(doc.includes(`| \`${e.name}\` |`), e.name);
  });

  describe('command', () => {
    let tmp: string;
    let api: FakeApiServer;
    before(async () => {
      tmp = await mkdtemp(join(tmpdir(), 'rauta-migrate-'));
      api = await FakeApiServer.start();
    });
    after(async () => {
      await api.close();
      await rm(tmp, { recursive: true, force: true });
    });

    it('rauta migrate -f DIR --output json prints the same report as the library', async () => {
      const { stdout } = await run(node, [cli, 'migrate', '-f', dir, '--output', 'json']);
      const want = migrationReport(parseManifests([{ name: `${dir}ingress-nginx.in.yaml`, text: readFileSync(`${dir}ingress-nginx.in.yaml`, 'utf8') }]));
      assert.deepEqual(JSON.parse(stdout), JSON.parse(JSON.stringify(want)));
    });

    it('rauta migrate --kubeconfig reads Ingresses from the API server (read-only)', async () => {
      for (const doc of readFileSync(`${dir}ingress-nginx.in.yaml`, 'utf8').split(/^---$/m)) {
        const objs = parseManifests([{ name: 'x.yaml', text: doc }]);
        for (const o of [...objs.ingresses, ...objs.ingressClasses]) api.put(o as never);
      }
      const kubeconfig = await writeKubeconfig(join(tmp, 'kubeconfig'), api.url, { token: 'migrate' });
      const writesBefore = api.requests.filter((r) => r.method !== 'GET').length;
      const { stdout } = await run(node, [cli, 'migrate', '--kubeconfig', kubeconfig]);
      assert.match(stdout, /5 Ingresses: 2 move unchanged, 2 with documented differences, 0 degraded \(something ignored or closed\), 1 not served\./);
      assert.match(stdout, /ops\/risky \(class nginx\): not-served/);
      assert.equal(api.requests.filter((r) => r.method !== 'GET').length, writesBefore);
    });

    it('usage errors exit 2 with the usage text', async () => {
      await assert.rejects(run(node, [cli, 'migrate', '--output', 'yaml']), (err: { code?: number; stderr?: string }) => {
        assert.equal(err.code, 2);
        assert.match(err.stderr ?? '', /--output must be text or json/);
        return true;
      });
    });

    it('rauta translate -f FILE prints the route table with the traffic policy', async () => {
      const { stdout } = await run(node, [cli, 'translate', '-f', `${dir}ingress-nginx.in.yaml`, '--watch-ingress-nginx']);
      const table = JSON.parse(stdout) as { routes: { host: string; policy: { traffic?: { request: { kind: string; maxBytes?: number }[] } } }[]; ingresses: string[] };
      const api = table.routes.find((r) => r.host === 'api.test');
      assert.equal(api?.policy.traffic?.request.find((o) => o.kind === 'body-limit')?.maxBytes, 20 * 1024 * 1024);
      const plain = table.routes.find((r) => r.host === 'plain.test');
      // ingress-nginx's class default: 1m bodies.
      assert.equal(plain?.policy.traffic?.request.find((o) => o.kind === 'body-limit')?.maxBytes, 1024 * 1024);
      assert.ok(!table.ingresses.includes('ops/risky'));
      assert.ok(table.ingresses.includes('shop/legacy'));
    });
  });
});
