import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { get, getJson } from './support/client.ts';
import { FakeApiServer } from './support/fake-apiserver/server.ts';
import { type RunningKubeRauta, startKubeRauta, waitFor } from './support/kube-harness.ts';
import { endpointSlice, ingress, ingressClass, service } from './support/manifests.ts';

describe('kubernetes - routes by the Ingresses in the API server', () => {
  let api: FakeApiServer;
  let echoA: EchoServer;
  let echoB: EchoServer;
  let rauta: RunningKubeRauta;

  before(async () => {
    api = await FakeApiServer.start();
    echoA = await startEcho({ namespace: 'default', ingress: 'web', service: 'web', pod: 'web-0' }, '127.0.0.2');
    echoB = await startEcho({ namespace: 'default', ingress: 'web', service: 'web', pod: 'web-1' }, '127.0.0.3');
    for (const o of [
      ingressClass(),
      ingress('web', { rules: [{ host: 'web.test', paths: [{ path: '/', service: 'web' }] }] }),
      service('web'),
      endpointSlice('web', echoA.port, [{ ip: '127.0.0.2', pod: 'web-0' }]),
    ]) api.put(o);
    rauta = await startKubeRauta(api);
  });
  after(async () => {
    await rauta.stop();
    await api.close();
    await echoA.close();
    await echoB.close();
  });

  it('serves the synced Ingress and reports ready', async () => {
    const res = await getJson<{ pod: string }>(rauta.httpPort, '/x', { host: 'web.test' });
    assert.equal(res.status, 200);
    assert.equal(res.json.pod, 'web-0');
    assert.equal((await get(rauta.adminPort, '/readyz')).status, 200);
  });

  it('follows EndpointSlice changes', async () => {
    api.put(endpointSlice('web', echoB.port, [{ ip: '127.0.0.3', pod: 'web-1' }]));
    const pod = await waitFor(async () => {
      const r = await getJson<{ pod: string }>(rauta.httpPort, '/', { host: 'web.test' });
      return r.json.pod === 'web-1' ? r.json.pod : undefined;
    }, 5000, 'traffic to web-1');
    assert.equal(pod, 'web-1');
  });

  it('adds and deletes Ingresses', async () => {
    api.put(ingress('api', { rules: [{ host: 'api.test', paths: [{ path: '/', service: 'web' }] }] }));
    await rauta.waitForTable((t) => t.ingresses.includes('default/api'), 5000, 'api ingress');
    assert.equal((await get(rauta.httpPort, '/', { host: 'api.test' })).status, 200);
    api.remove('networking.k8s.io/v1', 'Ingress', 'default', 'api');
    await rauta.waitForTable((t) => !t.ingresses.includes('default/api'), 5000, 'api ingress gone');
    assert.equal((await get(rauta.httpPort, '/', { host: 'api.test' })).status, 404);
  });

  it('answers 503, not 404, when a Service loses all ready endpoints', async () => {
    api.put(endpointSlice('web', echoB.port, [{ ip: '127.0.0.3', pod: 'web-1', ready: false }]));
    await rauta.waitForTable((t) => t.backends.some((b) => b.id === 'default/web:80' && b.endpoints.every((e) => !e.ready)), 5000, 'unready endpoints');
    const res = await get(rauta.httpPort, '/', { host: 'web.test' });
    assert.equal(res.status, 503);
    assert.match(res.body, /RAUTA_ERR_NO_ENDPOINTS/);
    api.remove('discovery.k8s.io/v1', 'EndpointSlice', 'default', 'web-slice');
    await rauta.waitForTable((t) => t.backends.some((b) => b.id === 'default/web:80' && b.endpoints.length === 0), 5000, 'slice deleted');
    assert.equal((await get(rauta.httpPort, '/', { host: 'web.test' })).status, 503);
  });
});

describe('kubernetes - RAUTA_WATCH_NAMESPACE, TLS and Opaque Secrets only, and start-up during an outage', () => {
  let api: FakeApiServer;
  let rauta: RunningKubeRauta;
  before(async () => {
    api = await FakeApiServer.start();
    for (const ns of ['team-a', 'team-b']) {
      for (const o of [
        ingress('app', { namespace: ns, rules: [{ host: `${ns}.test`, paths: [{ path: '/', service: 'app' }] }] }),
        service('app', { namespace: ns }),
        endpointSlice('app', 8080, [{ ip: '127.0.0.10' }], { namespace: ns }),
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'opaque', namespace: ns }, type: 'Opaque', data: { password: 'c2VjcmV0' } },
      ]) api.put(o);
    }
    api.put(ingressClass());
    api.failFor(1000, 500, 1); // RAUTA starts while the API server is failing (its first request fails, however late)
    rauta = await startKubeRauta(api, { RAUTA_WATCH_NAMESPACE: 'team-a' });
  });
  after(async () => {
    await rauta.stop();
    await api.close();
  });

  it('waited for the API server, then served only the watched namespace', async () => {
    assert.ok(api.requests.some((r) => r.status === 500), 'start-up hit the outage');
    assert.deepEqual(rauta.routes.table.ingresses, ['team-a/app']);
    assert.equal((await get(rauta.httpPort, '/', { host: 'team-b.test' })).status, 404);
    const paths = new Set(api.requests.filter((r) => r.status === 200 && r.method === 'GET').map((r) => r.path));
    assert.ok(paths.has('/apis/networking.k8s.io/v1/namespaces/team-a/ingresses'));
    assert.ok(paths.has('/apis/networking.k8s.io/v1/ingressclasses'), 'IngressClasses are cluster-scoped');
    assert.ok(![...paths].some((p) => p.includes('team-b')), 'nothing of team-b is read');
  });

  it('asks only for TLS and Opaque Secrets (each by its own field selector), in lists and in watches', async () => {
    api.dropWatches(); // ends the open watches, so they are in the request log
    await waitFor(() => api.activeWatches >= 5, 10_000, 'watches re-established');
    const watched = (type: string) => api.requests.some((r) => r.path.endsWith('/secrets') && r.query.includes('watch=true') && decodeURIComponent(r.query).includes(`fieldSelector=type=${type}`));
    await waitFor(() => watched('kubernetes.io/tls') && watched('Opaque'), 10_000, 'both Secret watches');
    const secretCalls = api.requests.filter((r) => r.path.endsWith('/secrets'));
    assert.ok(secretCalls.some((r) => r.query.includes('watch=true')), 'a watch of Secrets');
    assert.ok(secretCalls.some((r) => !r.query.includes('watch=true') && r.status === 200), 'a list of Secrets');
    // Opaque ones hold ingress-nginx basic-auth users and CA bundles; service-account tokens and the rest are never read.
    for (const r of secretCalls) assert.match(decodeURIComponent(r.query), /fieldSelector=type=(kubernetes\.io\/tls|Opaque)(&|$)/);
    for (const type of ['kubernetes.io/tls', 'Opaque']) {
      assert.ok(secretCalls.some((r) => decodeURIComponent(r.query).includes(`fieldSelector=type=${type}`) && r.query.includes('watch=true')), `a watch of ${type} Secrets`);
    }
  });
});
