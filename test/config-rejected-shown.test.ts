import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { type TestBackend, startBackend } from './support/backends.ts';
import { get, getJson } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { routeYaml } from './support/manifests.ts';

// A manifest edit that cannot be used keeps the last good routes serving, and says why where an operator
// looks — /routes, /api/summary (the web UI's status line) — naming the file, the line or key, and the fix.

interface Rejected { at: string; source: string; code: string; message: string }

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('config - a rejected manifest is shown, and the last good routes keep serving', () => {
  let backend: TestBackend;
  let rauta: RunningRauta;
  let good: string;
  const rejected = async () => (await getJson<{ config_rejected: Rejected | null }>(rauta.adminPort, '/routes')).json.config_rejected;

  before(async () => {
    backend = await startBackend('127.0.0.71', (_req, res) => res.end('ok'));
    good = routeYaml('shown.test', [{ ip: backend.ip, port: backend.port }]);
    rauta = await startStandalone(good, { RAUTA_CONFIG_DEBOUNCE_MS: '20' });
  });
  after(async () => {
    await rauta?.stop();
    await backend?.close();
  });

  it('starts with nothing rejected', async () => {
    assert.equal(await rejected(), null);
    assert.equal((await getJson<{ config_rejected: unknown }>(rauta.adminPort, '/api/summary')).json.config_rejected, null);
  });

  it('YAML that does not parse: file, document and line in /routes and /api/summary; traffic unaffected', async () => {
    await writeFile(rauta.manifestPath, `${good}---\nkind: Service\nmetadata: {name: [\n`);
    const r = await waitFor('config_rejected', async () => (await rejected()) ?? undefined);
    assert.equal(r.source, 'file');
    assert.equal(r.code, 'RAUTA_ERR_MANIFEST');
    assert.match(r.message, new RegExp(`^${rauta.manifestPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} document \\d+ line \\d+:\\d+: `));
    assert.ok(!Number.isNaN(Date.parse(r.at)));
    const summary = await getJson<{ config_rejected: Rejected | null }>(rauta.adminPort, '/api/summary');
    assert.deepEqual(summary.json.config_rejected, r);
    const res = await get(rauta.httpPort, '/', { host: 'shown.test' });
    assert.equal(res.status, 200);
    assert.equal(res.body, 'ok');
  });

  it('a non-string annotation value: names the object, the key and the fix ("quote the value")', async () => {
    const bad = good.replace('name: web\n', 'name: web\n  annotations:\n    rauta.io/retries: 3\n');
    assert.notEqual(bad, good);
    await writeFile(rauta.manifestPath, bad);
    const r = await waitFor('the annotation rejection', async () => {
      const cur = await rejected();
      return cur?.message.includes('annotations') ? cur : undefined;
    });
    assert.match(r.message, /document \d+: Ingress default\/web metadata\.annotations\["rauta\.io\/retries"\] is 3 \(a number\), but annotation values are strings: quote the value, rauta\.io\/retries: "3"$/);
    assert.equal((await get(rauta.httpPort, '/', { host: 'shown.test' })).status, 200);
  });

  it('fixing the file clears it', async () => {
    await writeFile(rauta.manifestPath, good.replace('name: web\n', 'name: web\n  annotations:\n    rauta.io/retries: "3"\n'));
    await waitFor('config_rejected to clear', async () => ((await rejected()) === null ? true : undefined));
    assert.equal((await getJson<{ config_rejected: unknown }>(rauta.adminPort, '/api/summary')).json.config_rejected, null);
  });
});
