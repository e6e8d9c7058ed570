import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { get, getJson } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';

interface RoutesJson {
  fingerprint: string;
  applied_at: string;
  ingresses: string[];
  routes: { ingress: string; host: string; path: string; path_type: string; backend: { service: string; port: string; ready_endpoints: number; endpoints: number; unavailable?: string } }[];
  default_backend: unknown;
  diagnostics: { ingress?: string; severity: string; reason: string; message: string; field?: string }[];
}

describe('admin - /healthz, /readyz, /routes', () => {
  let rauta: RunningRauta;
  before(async () => {
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('shop', { namespace: 'prod', rules: [{ host: 'shop.test', paths: [{ path: '/', service: 'web' }, { path: '/api', pathType: 'Exact', service: 'missing' }] }] }),
      service('web', { namespace: 'prod' }),
      endpointSlice('web', 8080, [{ ip: '10.0.0.1' }, { ip: '10.0.0.2', ready: false }], { namespace: 'prod' }),
    ]));
  });
  after(() => rauta.stop());

  it('/healthz answers 200 while the process lives', async () => {
    const res = await get(rauta.adminPort, '/healthz');
    assert.equal(res.status, 200);
  });

  it('/readyz answers 200 once the first configuration is applied', async () => {
    assert.equal((await get(rauta.adminPort, '/readyz')).status, 200);
  });

  it('/routes shows the table with endpoints counts and per-Ingress diagnostics', async () => {
    const { status, json, headers } = await getJson<RoutesJson>(rauta.adminPort, '/routes');
    assert.equal(status, 200);
    assert.match(String(headers['content-type']), /^application\/json/);
    assert.match(json.fingerprint, /^[0-9a-f]{16}$/);
    assert.ok(!Number.isNaN(Date.parse(json.applied_at)));
    assert.deepEqual(json.ingresses, ['prod/shop']);
    assert.deepEqual(json.routes.map((r) => [r.host, r.path, r.path_type, r.backend.service, r.backend.ready_endpoints, r.backend.endpoints]), [
      ['shop.test', '/', 'Prefix', 'prod/web', 1, 2],
      ['shop.test', '/api', 'Exact', 'prod/missing', 0, 0],
    ]);
    assert.equal(json.default_backend, null);
    assert.deepEqual(json.diagnostics.map((d) => [d.ingress, d.reason, d.field]), [['prod/shop', 'ServiceNotFound', 'spec.rules[0].http.paths[1].backend']]);
  });

  it('unknown paths are 404 and other methods 405', async () => {
    assert.equal((await get(rauta.adminPort, '/nope')).status, 404);
    const post = await get(rauta.adminPort, '/routes', {}, 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
  });
});
