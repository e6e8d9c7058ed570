import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AdminServer } from '../src/admin/admin-server.ts';
import { settings } from '../src/config/settings.ts';
import { Metrics } from '../src/telemetry/sinks/metrics.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { ingressClass, toYaml } from './support/manifests.ts';

// README.md and docs/ are the user's contract: every setting, metric, admin path and error code they
// name must exist in the code with the same name, default, type and labels, and everything the code
// offers must be documented. Links between the pages must lead somewhere.

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const docFiles = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const unquote = (s: string) => s.trim().replace(/^`(.*)`$/, '$1');

/** Rows `| ENV | --flag | default | meaning |` of the settings tables in docs/configuration.md. */
function documentedSettings(): { env: string; flag: string; default: string }[] {
  const rows: { env: string; flag: string; default: string }[] = [];
  for (const line of read('docs/configuration.md').split('\n')) {
    const m = /^\| `([A-Z][A-Z0-9_]*)` \| `(--[a-z0-9-]+)` \| ([^|]+) \|/.exec(line);
    if (m) rows.push({ env: m[1], flag: m[2], default: unquote(m[3]) });
  }
  return rows;
}

/** Rows `| rauta_metric | type | labels | meaning |` of docs/metrics.md. */
function documentedMetrics(): Map<string, { type: string; labels: string[] }> {
  const out = new Map<string, { type: string; labels: string[] }>();
  for (const line of read('docs/metrics.md').split('\n')) {
    const m = /^\| `(rauta_[a-z0-9_]+)` \| (counter|gauge|histogram) \| ([^|]*) \|/.exec(line);
    if (!m) continue;
    assert.ok(!out.has(m[1]), `${m[1]} listed twice`);
    out.set(m[1], { type: m[2], labels: [...m[3].matchAll(/`([a-z_]+)`/g)].map((l) => l[1]) });
  }
  return out;
}

/** Paths in the first column of the table in docs/admin-api.md. */
function documentedAdminPaths(): string[] {
  const paths: string[] = [];
  for (const line of read('docs/admin-api.md').split('\n')) {
    const m = /^\| ([^|]+) \|/.exec(line);
    if (m && !/^(path|---)$/.test(m[1].trim())) paths.push(...[...m[1].matchAll(/`([^`]+)`/g)].map((p) => p[1]));
  }
  return paths;
}

async function registry(): Promise<Map<string, { type: string; labels: string[] }>> {
  const metrics = new Metrics();
  const out = new Map<string, { type: string; labels: string[] }>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    if (!m.name.startsWith('rauta_')) continue;
    const labels = (metrics.registry.getSingleMetric(m.name) as unknown as { labelNames?: string[] }).labelNames ?? [];
    out.set(m.name, { type: String(m.type), labels: [...labels] });
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(ts|js)$/.test(e.name) ? [path] : [];
  });
}

describe('docs - settings match src/config/settings.ts', () => {
  const rows = documentedSettings();
  const code = Object.values(settings);

  it('every setting has exactly one row in docs/configuration.md, and every row is a setting', () => {
    assert.ok(rows.length > 40, `found ${rows.length} settings rows`);
    const envs = rows.map((r) => r.env);
    assert.deepEqual(envs.filter((e, i) => envs.indexOf(e) !== i), [], 'settings listed twice');
    assert.deepEqual([...envs].sort(), code.map((s) => s.env).sort());
  });

  it('flags and defaults agree', () => {
    for (const s of code) {
      const row = rows.find((r) => r.env === s.env);
      assert.ok(row, s.env);
      assert.equal(row.flag, s.flag, `${s.env} flag`);
      assert.equal(row.default, s.defaultText, `${s.env} default`);
    }
  });

  it('every RAUTA_*/OTEL_*/NATS_* variable named in README.md or docs/ is a setting', () => {
    const known = new Set(code.map((s) => s.env));
    // RAUTA_ERR is the prefix of the error codes ("RAUTA_ERR_*"); RAUTA_TEST_LOG and RAUTA_FUZZ_* are read by the tests only.
    const allowed = new Set(['RAUTA_ERR', 'RAUTA_TEST_LOG', 'RAUTA_FUZZ_RUNS', 'RAUTA_FUZZ_SECONDS', 'RAUTA_FUZZ_SEED']);
    for (const file of docFiles) {
      for (const m of read(file).matchAll(/\b((?:RAUTA|OTEL|NATS)_[A-Z0-9_]*[A-Z0-9])\b/g)) {
        const name = m[1];
        if (name.startsWith('RAUTA_ERR_') || allowed.has(name)) continue;
        assert.ok(known.has(name), `${file} names ${name}, which is not a setting`);
      }
    }
  });
});

describe('docs - metrics match the prom-client registry', () => {
  it('docs/metrics.md lists every rauta_* metric with its type and labels, and nothing else', async () => {
    const listed = documentedMetrics();
    const exported = await registry();
    assert.ok(exported.size >= 10);
    assert.deepEqual([...listed.keys()].sort(), [...exported.keys()].sort());
    for (const [name, got] of exported) {
      assert.equal(listed.get(name)?.type, got.type, `${name} type`);
      assert.deepEqual(listed.get(name)?.labels, got.labels, `${name} labels`);
    }
  });

  it('every rauta_* name mentioned in README.md or docs/ is exported', async () => {
    const exported = await registry();
    for (const file of docFiles) {
      for (const m of read(file).matchAll(/\brauta_[a-z0-9_]+/g)) {
        const name = m[0].replace(/_(bucket|sum|count)$/, (suffix) => (exported.has(m[0].slice(0, -suffix.length)) ? '' : suffix));
        assert.ok(exported.has(name), `${file} names ${m[0]}`);
      }
    }
  });
});

describe('docs - error codes match the code', () => {
  it('every RAUTA_ERR_* code in src/ has a row in docs/troubleshooting.md, and every row is a code in src/', () => {
    const inSource = new Set<string>();
    for (const file of sourceFiles('src')) for (const m of read(file).matchAll(/\bRAUTA_ERR_[A-Z0-9_]*[A-Z0-9]\b/g)) inSource.add(m[0]);
    const rows = [...read('docs/troubleshooting.md').matchAll(/^\| `(RAUTA_ERR_[A-Z0-9_]+)` \|(?:\s*[^|\s][^|]*\|){2,}\s*$/gm)].map((m) => m[1]);
    assert.ok(inSource.size >= 20, `found ${inSource.size} codes in src/`);
    assert.deepEqual(rows.filter((c, i) => rows.indexOf(c) !== i), [], 'codes listed twice');
    assert.deepEqual([...rows].sort(), [...inSource].sort());
  });

  it('every RAUTA_ERR_* code named anywhere in README.md or docs/ exists in src/', () => {
    const inSource = new Set<string>();
    for (const file of sourceFiles('src')) for (const m of read(file).matchAll(/\bRAUTA_ERR_[A-Z0-9_]*[A-Z0-9]\b/g)) inSource.add(m[0]);
    for (const file of docFiles) {
      for (const m of read(file).matchAll(/\bRAUTA_ERR_[A-Z0-9_]*[A-Z0-9]\b/g)) assert.ok(inSource.has(m[0]), `${file} names ${m[0]}`);
    }
  });
});

describe('docs - admin endpoints match the ones registered', () => {
  const registered: string[] = [];
  const original = AdminServer.prototype.get;
  let rauta: RunningRauta;
  before(async () => {
    AdminServer.prototype.get = function record(this: AdminServer, path, handler) {
      registered.push(path);
      return original.call(this, path, handler);
    };
    try {
      rauta = await startStandalone(toYaml([ingressClass()]));
    } finally {
      AdminServer.prototype.get = original;
    }
  });
  after(() => rauta.stop());

  it('the table in docs/admin-api.md lists every registered path, and only those', () => {
    assert.ok(registered.includes('/metrics'), 'registrations were recorded');
    assert.deepEqual([...new Set(documentedAdminPaths())].sort(), [...new Set(registered)].sort());
  });
});

describe('docs - the README is a front page and the pages link up', () => {
  it('README.md stays a front page: at most 200 lines, with the two commands and a table of contents link', () => {
    const readme = read('README.md');
    assert.ok(readme.split('\n').length <= 200, `README.md has ${readme.split('\n').length} lines`);
    assert.ok(readme.includes('npm install && npm start') && readme.includes('npm test'));
    assert.ok(readme.includes('(docs/README.md)'));
  });

  it('the README\'s manifest is examples/quickstart.yaml, verbatim', () => {
    const block = /```yaml\n([\s\S]*?)```/.exec(read('README.md'));
    assert.ok(block, 'a yaml block in the README');
    assert.equal(block[1], read('examples/quickstart.yaml'));
  });

  it('every docs/ page is in the table of contents', () => {
    const toc = read('docs/README.md');
    for (const file of docFiles.filter((f) => f.startsWith('docs/') && f !== 'docs/README.md')) {
      assert.ok(toc.includes(`](${file.slice('docs/'.length)})`), `${file} is not in docs/README.md`);
    }
  });

  it('every relative link in README.md and docs/ points at a file that exists', () => {
    for (const file of docFiles) {
      for (const m of read(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1].split('#')[0];
        if (target === '' || /^[a-z]+:/.test(target)) continue;
        const path = join(root, dirname(file), target);
        assert.ok(existsSync(path), `${file} links to ${target} (${relative(root, path)}), which does not exist`);
      }
    }
  });

  it('no internal references in README.md or docs/', () => {
    for (const file of docFiles) {
      assert.doesNotMatch(read(file), /design card|\bissue \d+|\bhelper\b/i, file);
    }
  });
});
