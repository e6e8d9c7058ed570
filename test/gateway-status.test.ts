import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeApiServer } from './support/fake-apiserver/server.ts';
import type { KubeObject } from './support/fake-apiserver/store.ts';
import { backendRef, gateway, gatewayClass, httpRoute, parent } from './support/gateway-manifests.ts';
import { type RunningKubeRauta, startKubeRauta, waitFor } from './support/kube-harness.ts';
import { endpointSlice, service } from './support/manifests.ts';

/**
 * Gateway API status in Kubernetes mode, written by the leader: GatewayClass Accepted, Gateway
 * Accepted/Programmed/addresses, listener conditions and attachedRoutes, route status.parents with the
 * spec's reasons, observedGeneration and controllerName; other controllers' entries untouched; two
 * replicas never fight (after convergence nobody writes). Follows the status parts of the conformance
 * tests GatewayWithAttachedRoutes, GatewayInvalidListenersUnsupportedProtocol,
 * HTTPRouteInvalidCrossNamespaceParentRef and GatewayClassObservedGenerationBump.
 */
const GW = 'gateway.networking.k8s.io/v1';
const CONTROLLER = 'rauta.io/gateway-controller';
type Cond = { type: string; status: string; reason: string; observedGeneration?: number; lastTransitionTime?: string };
const status = (o: KubeObject | undefined) => (o?.status ?? {}) as Record<string, unknown>;
const cond = (list: unknown, type: string) => (list as Cond[] | undefined)?.find((c) => c.type === type);
const writes = (api: FakeApiServer) => api.requests.filter((r) => r.method === 'PATCH' && r.path.includes('gateway.networking.k8s.io') && r.path.endsWith('/status'));

describe('gateway - status written by the leader', () => {
  let api: FakeApiServer;
  let a: RunningKubeRauta;
  let b: RunningKubeRauta | undefined;

  before(async () => {
    api = await FakeApiServer.start();
    api.installGatewayApi();
    for (const o of [
      gatewayClass(),
      gatewayClass('other', 'example.com/other'),
      gateway('infra', 'gw', [{ name: 'web', hostname: '*.example.com', from: 'All' }, { name: 'tcp', protocol: 'TCP', port: 9000 }]),
      gateway('infra', 'not-ours', [{ name: 'web' }], 'other'),
      httpRoute('apps', 'shop', { parentRefs: [parent('infra', 'gw', { sectionName: 'web' }), parent('infra', 'not-ours')], hostnames: ['shop.example.com'], rules: [{ backendRefs: [backendRef('shop', 80)] }] }),
      httpRoute('apps', 'lost', { parentRefs: [parent('infra', 'gw', { sectionName: 'web' })], hostnames: ['shop.example.org'], rules: [{ backendRefs: [backendRef('missing', 80)] }] }),
      service('shop', { namespace: 'apps' }),
      endpointSlice('shop', 8080, [{ ip: '127.0.0.9' }], { namespace: 'apps' }),
    ]) api.put(o);
    // Another controller already reported on its own parent.
    const shop = api.get(GW, 'HTTPRoute', 'apps', 'shop')!;
    api.put({ ...shop, status: { parents: [{ parentRef: { name: 'not-ours', namespace: 'infra' }, controllerName: 'example.com/other', conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'theirs', lastTransitionTime: '2026-01-01T00:00:00Z' }] }] } });
    a = await startKubeRauta(api, { POD_NAME: 'gw-a', RAUTA_PUBLISH_STATUS_ADDRESS: '192.0.2.10' });
  });
  after(async () => {
    await b?.stop();
    await a.stop();
    await api.close();
  });

  it('GatewayClass: Accepted, with observedGeneration; another controller\'s class untouched', async () => {
    const accepted = await waitFor(() => cond(status(api.get(GW, 'GatewayClass', undefined, 'rauta')).conditions, 'Accepted'), 10_000, 'GatewayClass status');
    assert.deepEqual([accepted.status, accepted.reason, accepted.observedGeneration], ['True', 'Accepted', 1]);
    assert.deepEqual(status(api.get(GW, 'GatewayClass', undefined, 'other')), {});
  });

  it('Gateway: Accepted (ListenersNotValid), Programmed, addresses; per listener conditions, kinds and attachedRoutes', async () => {
    const s = await waitFor(() => { const x = status(api.get(GW, 'Gateway', 'infra', 'gw')); return x.listeners ? x : undefined; }, 10_000, 'Gateway status');
    assert.deepEqual(s.addresses, [{ type: 'IPAddress', value: '192.0.2.10' }]);
    assert.deepEqual([cond(s.conditions, 'Accepted')?.status, cond(s.conditions, 'Accepted')?.reason], ['True', 'ListenersNotValid']);
    assert.equal(cond(s.conditions, 'Programmed')?.status, 'True');
    const [web, tcp] = s.listeners as { name: string; attachedRoutes: number; supportedKinds: unknown[]; conditions: Cond[] }[];
    assert.equal(web.name, 'web');
    assert.equal(web.attachedRoutes, 1);
    assert.deepEqual(web.supportedKinds, [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }, { group: 'gateway.networking.k8s.io', kind: 'GRPCRoute' }]);
    for (const t of ['Accepted', 'Programmed', 'ResolvedRefs']) assert.equal(cond(web.conditions, t)?.status, 'True', t);
    assert.equal(cond(web.conditions, 'Conflicted')?.status, 'False');
    assert.deepEqual([cond(tcp.conditions, 'Accepted')?.status, cond(tcp.conditions, 'Accepted')?.reason], ['False', 'UnsupportedProtocol']);
    assert.equal(status(api.get(GW, 'Gateway', 'infra', 'not-ours')).listeners, undefined);
  });

  it('routes: one parents[] entry per parentRef of ours, with controllerName and the spec\'s reasons; foreign entries kept', async () => {
    const parents = await waitFor(() => {
      const p = status(api.get(GW, 'HTTPRoute', 'apps', 'shop')).parents as { controllerName: string; parentRef: { name: string }; conditions: Cond[] }[] | undefined;
      return p?.some((x) => x.controllerName === CONTROLLER) ? p : undefined;
    }, 10_000, 'route status');
    assert.deepEqual(parents.map((p) => `${p.controllerName} ${p.parentRef.name}`), ['example.com/other not-ours', `${CONTROLLER} gw`]);
    assert.equal(parents[0].conditions[0].lastTransitionTime, '2026-01-01T00:00:00Z');
    const ours = parents[1];
    assert.deepEqual(ours.conditions.map((c) => [c.type, c.status, c.reason, c.observedGeneration]), [['Accepted', 'True', 'Accepted', 1], ['ResolvedRefs', 'True', 'ResolvedRefs', 1]]);
    const lost = await waitFor(() => (status(api.get(GW, 'HTTPRoute', 'apps', 'lost')).parents as { conditions: Cond[] }[] | undefined)?.[0], 10_000, 'lost route status');
    assert.deepEqual([cond(lost.conditions, 'Accepted')?.reason, cond(lost.conditions, 'ResolvedRefs')?.reason], ['NoMatchingListenerHostname', 'BackendNotFound']);
  });

  it('a spec change bumps observedGeneration; a route that leaves our Gateway loses our entry only', async () => {
    const gw = api.get(GW, 'Gateway', 'infra', 'gw')!;
    api.put({ ...gw, spec: { ...(gw.spec as object), listeners: [...((gw.spec as { listeners: unknown[] }).listeners), { name: 'web2', protocol: 'HTTP', port: 8080 }] } });
    await waitFor(() => cond(status(api.get(GW, 'Gateway', 'infra', 'gw')).conditions, 'Accepted')?.observedGeneration === 2, 10_000, 'observedGeneration 2');
    const shop = api.get(GW, 'HTTPRoute', 'apps', 'shop')!;
    api.put({ ...shop, spec: { ...(shop.spec as object), parentRefs: [{ name: 'not-ours', namespace: 'infra' }] }, status: shop.status });
    const parents = await waitFor(() => {
      const p = status(api.get(GW, 'HTTPRoute', 'apps', 'shop')).parents as { controllerName: string }[];
      return p.every((x) => x.controllerName !== CONTROLLER) ? p : undefined;
    }, 10_000, 'our entry removed');
    assert.deepEqual(parents.map((p) => p.controllerName), ['example.com/other']);
  });

  it('two replicas: the follower writes nothing, and once converged nobody writes again', async () => {
    b = await startKubeRauta(api, { POD_NAME: 'gw-b', RAUTA_PUBLISH_STATUS_ADDRESS: '192.0.2.10' });
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(writes(api).every((w) => w.user === 'gw-a'), 'only the leader writes status');
    const before = writes(api).length;
    const versions = () => ['Gateway/infra/gw', 'HTTPRoute/apps/shop', 'HTTPRoute/apps/lost'].map((k) => { const [kind, ns, name] = k.split('/'); return api.get(GW, kind, ns, name)?.metadata.resourceVersion; });
    const v1 = versions();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(writes(api).length, before, 'no status write once the status is right');
    assert.deepEqual(versions(), v1);
  });
});
