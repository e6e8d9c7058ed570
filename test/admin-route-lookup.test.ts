import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getJson } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';

// /api/route answers "which route serves this host and path?" with the route table's own matcher: the
// web UI's route view asks it rather than re-implementing the Ingress rules in the browser.

interface Lookup { route: { ingress: string; host: string; path: string; path_type: string; backend: { service: string } } | null; default_backend: boolean; error?: string }

describe('admin - /api/route looks a host and path up in the live route table', () => {
  let rauta: RunningRauta;
  before(async () => {
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('shop', { namespace: 'shop', rules: [{ host: 'shop.test', paths: [{ path: '/', service: 'web' }, { path: '/api', service: 'api' }, { path: '/api/v1/exact', pathType: 'Exact', service: 'web' }] }] }),
      ingress('wild', { rules: [{ host: '*.apps.test', paths: [{ path: '/', service: 'any' }] }], defaultBackend: undefined }),
      ingress('fallback', { defaultBackend: { service: 'any' } }),
      service('web', { namespace: 'shop' }), service('api', { namespace: 'shop' }), service('any'),
      endpointSlice('web', 8080, [{ ip: '127.0.0.81' }], { namespace: 'shop' }),
    ]));
  });
  after(() => rauta.stop());

  const lookup = async (query: string) => getJson<Lookup>(rauta.adminPort, `/api/route?${query}`);

  it('the longest matching path wins, Exact over Prefix, host case and port ignored', async () => {
    const api = await lookup('host=SHOP.test:8080&path=/api/users');
    assert.equal(api.status, 200);
    assert.equal(api.json.route?.ingress, 'shop/shop');
    assert.equal(api.json.route?.path, '/api');
    assert.equal(api.json.route?.backend.service, 'shop/api');
    assert.equal(api.json.default_backend, false);
    assert.equal((await lookup('host=shop.test&path=/api/v1/exact')).json.route?.path_type, 'Exact');
    assert.equal((await lookup('host=shop.test&path=/apix')).json.route?.path, '/');
  });

  it('wildcard hosts match one label; anything else falls to the default backend', async () => {
    assert.equal((await lookup('host=a.apps.test&path=/')).json.route?.ingress, 'default/wild');
    const deep = await lookup('host=a.b.apps.test&path=/');
    assert.equal(deep.json.route?.ingress, 'default/fallback');
    assert.equal(deep.json.default_backend, true);
  });

  it('rejects what is not a host or a path (400), never matching on it', async () => {
    for (const q of ['host=a%20b&path=/', 'host=shop.test&path=api', 'host=shop.test&path=/&method=G%20T', `host=shop.test&path=/${'x'.repeat(2100)}`]) {
      const r = await lookup(q);
      assert.equal(r.status, 400, q);
      assert.equal(typeof r.json.error, 'string');
    }
  });
});
