import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { get } from './support/client.ts';
import { FakeApiServer } from './support/fake-apiserver/server.ts';
import type { KubeObject } from './support/fake-apiserver/store.ts';
import { type RunningKubeRauta, startKubeRauta, waitFor } from './support/kube-harness.ts';
import { endpointSlice, ingress, ingressClass, service } from './support/manifests.ts';

const ING = 'networking.k8s.io/v1';
type Lb = { ip?: string; hostname?: string }[] | undefined;
const lbOf = (o: KubeObject | undefined): Lb => (o?.status as { loadBalancer?: { ingress?: Lb } } | undefined)?.loadBalancer?.ingress;
const statusWrites = (api: FakeApiServer, name: string) => api.requests.filter((r) => r.path.endsWith(`/ingresses/${name}/status`) && r.method !== 'GET');

function seed(api: FakeApiServer): void {
  for (const o of [
    ingressClass(),
    ingressClass('nginx', 'k8s.io/ingress-nginx'),
    ingress('ours', { rules: [{ host: 'ours.test', paths: [{ path: '/', service: 'web' }] }] }),
    ingress('theirs', { className: 'nginx', rules: [{ host: 'theirs.test', paths: [{ path: '/', service: 'web' }] }] }),
    { ...ingress('theirs-with-status', { className: 'nginx', rules: [{ host: 't2.test', paths: [{ path: '/', service: 'web' }] }] }), status: { loadBalancer: { ingress: [{ ip: '192.0.2.99' }] } } },
    service('web'),
    endpointSlice('web', 8080, [{ ip: '127.0.0.9' }]),
  ]) api.put(o);
}

describe('kubernetes - ingress status from RAUTA_PUBLISH_STATUS_ADDRESS', () => {
  let api: FakeApiServer;
  let rauta: RunningKubeRauta;
  before(async () => {
    api = await FakeApiServer.start();
    seed(api);
    rauta = await startKubeRauta(api, { POD_NAME: 'status-a', RAUTA_PUBLISH_STATUS_ADDRESS: '10.0.0.1, lb.example.com' });
  });
  after(async () => {
    await rauta.stop();
    await api.close();
  });

  it('writes the addresses into status.loadBalancer of our Ingresses', async () => {
    const lb = await waitFor(() => lbOf(api.get(ING, 'Ingress', 'default', 'ours')), 5000, 'status of ours');
    assert.deepEqual(lb, [{ ip: '10.0.0.1' }, { hostname: 'lb.example.com' }]);
    assert.ok(statusWrites(api, 'ours').every((r) => r.contentType?.startsWith('application/merge-patch+json')));
  });

  it('never writes status of another class\'s Ingresses', async () => {
    api.put(ingress('ours-2', { rules: [{ host: 'ours2.test', paths: [{ path: '/', service: 'web' }] }] }));
    await waitFor(() => lbOf(api.get(ING, 'Ingress', 'default', 'ours-2')), 5000, 'status of ours-2');
    assert.equal(lbOf(api.get(ING, 'Ingress', 'default', 'theirs')), undefined);
    assert.deepEqual(lbOf(api.get(ING, 'Ingress', 'default', 'theirs-with-status')), [{ ip: '192.0.2.99' }]);
    assert.equal(statusWrites(api, 'theirs').length, 0);
    assert.equal((await get(rauta.httpPort, '/', { host: 'theirs.test' })).status, 404, 'another class is not routed either');
    assert.deepEqual(rauta.routes.table.ingresses, ['default/ours', 'default/ours-2']);
    assert.equal(statusWrites(api, 'theirs-with-status').length, 0);
  });

  it('rewrites a status someone else overwrote', async () => {
    const cur = api.get(ING, 'Ingress', 'default', 'ours')!;
    api.put({ ...cur, status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } } });
    await waitFor(() => lbOf(api.get(ING, 'Ingress', 'default', 'ours'))?.[0]?.ip === '10.0.0.1', 5000, 'status restored');
  });

  it('clears the status of an Ingress that stops being ours', async () => {
    const cur = api.get(ING, 'Ingress', 'default', 'ours-2')!;
    api.put({ ...cur, spec: { ...(cur.spec as object), ingressClassName: 'nginx' } });
    await waitFor(() => lbOf(api.get(ING, 'Ingress', 'default', 'ours-2')) === undefined, 5000, 'status cleared');
  });
});

describe('kubernetes - ingress status from RAUTA_PUBLISH_SERVICE', () => {
  let api: FakeApiServer;
  let rauta: RunningKubeRauta;
  const lbService = (ip: string) => ({ ...service('rauta', { namespace: 'ingress' }), spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80 }] }, status: { loadBalancer: { ingress: [{ ip }] } } });
  before(async () => {
    api = await FakeApiServer.start();
    seed(api);
    api.put(lbService('198.51.100.10'));
    rauta = await startKubeRauta(api, { POD_NAME: 'status-b', POD_NAMESPACE: 'ingress', RAUTA_PUBLISH_SERVICE: 'ingress/rauta' });
  });
  after(async () => {
    await rauta.stop();
    await api.close();
  });

  it('copies the Service\'s load-balancer address and follows its changes', async () => {
    await waitFor(() => lbOf(api.get(ING, 'Ingress', 'default', 'ours'))?.[0]?.ip === '198.51.100.10', 5000, 'first address');
    api.put(lbService('198.51.100.11'));
    await waitFor(() => lbOf(api.get(ING, 'Ingress', 'default', 'ours'))?.[0]?.ip === '198.51.100.11', 5000, 'updated address');
    assert.equal(lbOf(api.get(ING, 'Ingress', 'default', 'theirs')), undefined);
    assert.ok(api.get('coordination.k8s.io/v1', 'Lease', 'ingress', 'rauta-leader'), 'the Lease lives in POD_NAMESPACE');
  });
});

describe('kubernetes - Events for rejected Ingresses', () => {
  let api: FakeApiServer;
  let rauta: RunningKubeRauta;
  before(async () => {
    api = await FakeApiServer.start();
    seed(api);
    api.put(ingress('broken', { rules: [{ host: 'broken.test', paths: [{ path: '/', service: 'missing' }] }] }));
    rauta = await startKubeRauta(api, { POD_NAME: 'events-a' });
  });
  after(async () => {
    await rauta.stop();
    await api.close();
  });

  it('records one events.k8s.io/v1 Event with the reason and message', async () => {
    const events = await waitFor(() => {
      const list = api.list('events.k8s.io/v1', 'Event').filter((e) => (e.regarding as { name?: string }).name === 'broken');
      return list.length > 0 ? list : undefined;
    }, 5000, 'an Event for broken');
    assert.equal(events.length, 1);
    const e = events[0] as KubeObject & { reason: string; note: string; type: string; reportingController: string; regarding: { kind: string; uid?: string } };
    assert.equal(e.reason, 'ServiceNotFound');
    assert.match(e.note, /service default\/missing not found/);
    assert.equal(e.type, 'Warning');
    assert.equal(e.regarding.kind, 'Ingress');
    assert.equal(e.regarding.uid, api.get(ING, 'Ingress', 'default', 'broken')?.metadata.uid);
    assert.equal(e.reportingController, 'rauta.io/ingress-controller');
    // Another table change does not repeat the Event.
    api.put(ingress('another', { rules: [{ host: 'another.test', paths: [{ path: '/', service: 'web' }] }] }));
    await rauta.waitForTable((t) => t.ingresses.includes('default/another'));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(api.list('events.k8s.io/v1', 'Event').filter((x) => (x.regarding as { name?: string }).name === 'broken').length, 1);
    assert.equal(api.list('events.k8s.io/v1', 'Event').filter((x) => (x.regarding as { name?: string }).name !== 'broken').length, 0, 'valid and foreign Ingresses get no Event');
  });
});
