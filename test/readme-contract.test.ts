import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { AdminServer } from '../src/admin/admin-server.ts';
import { settings } from '../src/config/settings.ts';
import { Metrics } from '../src/telemetry/sinks/metrics.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { ingressClass, toYaml } from './support/manifests.ts';

// The README is the user's contract: every setting, metric and admin endpoint it names must exist in the
// code with the same name, default, type and labels, and everything the code offers must be in it.

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const lines = readme.split('\n');
const unquote = (s: string) => s.trim().replace(/^`(.*)`$/, '$1');

/** Rows `| ENV | --flag | default | meaning |` of every settings table in the README. */
function readmeSettings(): { env: string; flag: string; default: string }[] {
  const rows: { env: string; flag: string; default: string }[] = [];
  for (const line of lines) {
    const m = /^\| `([A-Z][A-Z0-9_]*)` \| `(--[a-z0-9-]+)` \| ([^|]+) \|/.exec(line);
    if (m) rows.push({ env: m[1], flag: m[2], default: unquote(m[3]) });
  }
  return rows;
}

/** Rows `| rauta_metric | type | labels |` of the Prometheus table; label names are the backticked words before any ':' or '('. */
function readmeMetrics(): Map<string, { type: string; labels: string[] }> {
  const out = new Map<string, { type: string; labels: string[] }>();
  for (const line of lines) {
    const m = /^\| `(rauta_[a-z0-9_]+)` \| (counter|gauge|histogram) \| ([^|]*) \|$/.exec(line);
    if (!m) continue;
    assert.ok(!out.has(m[1]), `${m[1]} listed twice`);
    const head = m[3].split(/[:(]/)[0];
    out.set(m[1], { type: m[2], labels: [...head.matchAll(/`([a-z_]+)`/g)].map((l) => l[1]) });
  }
  return out;
}

/** Paths in the first column of the "Admin port" table. */
function readmeAdminPaths(): string[] {
  const start = lines.findIndex((l) => l.startsWith('## Admin port'));
  assert.ok(start >= 0, 'README has an "Admin port" section');
  const paths: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('#')) break;
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

describe('readme - settings tables match src/config/settings.ts', () => {
  const rows = readmeSettings();
  const code = Object.values(settings);

  it('every setting in the code has exactly one README row, and every README row is a setting', () => {
    assert.ok(rows.length > 40, `found ${rows.length} README settings rows`);
    const readmeEnvs = rows.map((r) => r.env);
    assert.deepEqual(readmeEnvs.filter((e, i) => readmeEnvs.indexOf(e) !== i), [], 'settings listed twice in the README');
    assert.deepEqual([...readmeEnvs].sort(), code.map((s) => s.env).sort());
  });

  it('flags and defaults agree', () => {
    for (const s of code) {
      const row = rows.find((r) => r.env === s.env);
      assert.ok(row, s.env);
      assert.equal(row.flag, s.flag, `${s.env} flag`);
      assert.equal(row.default, s.defaultText, `${s.env} default`);
    }
  });
});

describe('readme - metrics match the prom-client registry', () => {
  it('the Prometheus table lists every rauta_* metric with its type and labels, and nothing else', async () => {
    const listed = readmeMetrics();
    const exported = await registry();
    assert.ok(exported.size >= 10);
    assert.deepEqual([...listed.keys()].sort(), [...exported.keys()].sort());
    for (const [name, got] of exported) {
      assert.equal(listed.get(name)?.type, got.type, `${name} type`);
      assert.deepEqual(listed.get(name)?.labels, got.labels, `${name} labels`);
    }
  });

  it('every rauta_* name mentioned anywhere in the README is exported', async () => {
    const exported = await registry();
    for (const m of readme.matchAll(/\brauta_[a-z0-9_]+/g)) {
      const name = m[0].replace(/_(bucket|sum|count)$/, (suffix) => (exported.has(m[0].slice(0, -suffix.length)) ? '' : suffix));
      assert.ok(exported.has(name), `README names ${m[0]}`);
    }
  });
});

describe('readme - admin endpoints match the ones registered', () => {
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

  it('the Admin port table lists every registered path, and only those', () => {
    assert.ok(registered.includes('/metrics'), 'registrations were recorded');
    assert.deepEqual([...new Set(readmeAdminPaths())].sort(), [...new Set(registered)].sort());
  });
});
