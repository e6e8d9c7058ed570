import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { referencedSecrets } from '../src/sources/kubernetes/kubernetes-source.ts';
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
  let pod: Server;
  before(async () => {
    api = await FakeApiServer.start();
    pod = createServer((_req, res) => { res.writeHead(200); res.end('pod'); });
    await new Promise<void>((r) => pod.listen(0, '127.0.0.9', r));
    const podPort = (pod.address() as AddressInfo).port;
    const htpasswd = `alice:{SHA}${createHash('sha1').update('s3cret').digest('base64')}\n`;
    for (const o of [
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'users', namespace: 'default' }, type: 'Opaque', data: { auth: Buffer.from(htpasswd).toString('base64') } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'unrelated', namespace: 'default' }, type: 'Opaque', data: { password: Buffer.from('x').toString('base64') } },
      ingress('basic', { className: 'nginx', rules: [{ host: 'basic.test', paths: [{ path: '/', service: 'web' }] }], annotations: { [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'users' } }),
      ingressClass(),
      ingressClass('nginx', 'k8s.io/ingress-nginx'),
      ingress('moved', { className: 'nginx', rules: [{ host: 'moved.test', paths: [{ path: '/', service: 'web' }] }], annotations: { [`${N}permanent-redirect`]: 'https://new.test$request_uri' } }),
      ingress('digest', { className: 'nginx', rules: [{ host: 'digest.test', paths: [{ path: '/', service: 'web' }] }], annotations: { [`${N}auth-type`]: 'digest', [`${N}auth-secret`]: 'users' } }),
      ingress('snippet', { className: 'nginx', rules: [{ host: 'snippet.test', paths: [{ path: '/', service: 'web' }] }], annotations: { [`${N}server-snippet`]: 'return 200;' } }),
      service('web'),
      endpointSlice('web', podPort, [{ ip: '127.0.0.9' }]),
    ]) api.put(o);
    rauta = await startKubeRauta(api, { POD_NAME: 'nginx-a', RAUTA_WATCH_INGRESS_NGINX: 'true' });
  });
  after(async () => {
    await rauta.stop();
    await api.close();
    await new Promise<void>((r) => pod.close(() => r()));
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

  it('basic auth reads its users from an Opaque Secret; Secrets no annotation names stay out of the snapshot', async () => {
    await rauta.waitForTable((t) => t.ingresses.includes('default/basic'), 5000, 'the basic-auth Ingress');
    assert.equal((await get(rauta.httpPort, '/', { host: 'basic.test' })).status, 401);
    const ok = await get(rauta.httpPort, '/', { host: 'basic.test', authorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}` });
    assert.equal(ok.status, 200);
    assert.equal(ok.body, 'pod');
    assert.ok(!rauta.routes.table.diagnostics.some((d) => d.ingress === 'basic'));
    const refs = referencedSecrets([
      { metadata: { name: 'a', namespace: 'shop', annotations: { [`${N}auth-secret`]: 'users', 'example.com/proxy-ssl-secret': 'certs/ca', other: 'x' } } },
    ]);
    assert.deepEqual([...refs].sort(), ['certs/ca', 'shop/users']);
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
