import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { get } from './support/client.ts';
import { FakeApiServer } from './support/fake-apiserver/server.ts';
import type { KubeObject } from './support/fake-apiserver/store.ts';
import { type RunningKubeRauta, startKubeRauta, waitFor } from './support/kube-harness.ts';
import { endpointSlice, ingress, ingressClass, service } from './support/manifests.ts';

const N = 'nginx.ingress.kubernetes.io/';

/**
 * Kubernetes mode with RAUTA_WATCH_INGRESS_NGINX: Ingresses of ingress-nginx's class are served, their
 * annotations honoured, and the problems reach Kubernetes Events (errors) like any other diagnostic.
 */
describe('kubernetes - ingress-nginx Ingresses and their annotation problems', () => {
  let api: FakeApiServer;
  let rauta: RunningKubeRauta;
  before(async () => {
    api = await FakeApiServer.start();
    for (const o of [
      ingressClass(),
      ingressClass('nginx', 'k8s.io/ingress-nginx'),
      ingress('moved', { className: 'nginx', rules: [{ host: 'moved.test', paths: [{ path: '/', service: 'web' }] }], annotations: { [`${N}permanent-redirect`]: 'https://new.test$request_uri' } }),
      ingress('digest', { className: 'nginx', rules: [{ host: 'digest.test', paths: [{ path: '/', service: 'web' }] }], annotations: { [`${N}auth-type`]: 'digest', [`${N}auth-secret`]: 'users' } }),
      ingress('snippet', { className: 'nginx', rules: [{ host: 'snippet.test', paths: [{ path: '/', service: 'web' }] }], annotations: { [`${N}server-snippet`]: 'return 200;' } }),
      service('web'),
      endpointSlice('web', 8080, [{ ip: '127.0.0.9' }]),
    ]) api.put(o);
    rauta = await startKubeRauta(api, { POD_NAME: 'nginx-a', RAUTA_WATCH_INGRESS_NGINX: 'true' });
  });
  after(async () => {
    await rauta.stop();
    await api.close();
  });

  it('serves the nginx class with its annotations; a security problem closes the route; a snippet refuses the Ingress', async () => {
    await rauta.waitForTable((t) => t.ingresses.includes('default/moved'), 5000, 'the nginx-class Ingress');
    const moved = await get(rauta.httpPort, '/a?b=1', { host: 'moved.test' });
    assert.equal(moved.status, 301);
    assert.equal(moved.headers.location, 'https://new.test/a?b=1');
    const closed = await get(rauta.httpPort, '/', { host: 'digest.test' });
    assert.equal(closed.status, 503);
    assert.match(closed.body, /RAUTA_ERR_POLICY_UNAVAILABLE/);
    assert.equal((await get(rauta.httpPort, '/', { host: 'snippet.test' })).status, 404);
  });

  it('records the errors as events.k8s.io/v1 Events on the Ingresses', async () => {
    const reasons = await waitFor(() => {
      const list = api.list('events.k8s.io/v1', 'Event') as (KubeObject & { reason: string; regarding: { name: string } })[];
      const byName = new Map(list.map((e) => [e.regarding.name, e.reason]));
      return byName.has('digest') && byName.has('snippet') ? byName : undefined;
    }, 8000, 'Events for digest and snippet');
    assert.equal(reasons.get('digest'), 'PolicyFailClosed');
    assert.equal(reasons.get('snippet'), 'AnnotationRefused');
    assert.equal(reasons.has('moved'), false);
  });
});
