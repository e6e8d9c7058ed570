import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ObjectSet } from '../src/sources/object-set.ts';
import { KubernetesSource } from '../src/sources/kubernetes/kubernetes-source.ts';
import { loadKubeConfig } from '../src/sources/kubernetes/kubeconfig.ts';
import { writeKubeconfig } from './support/fake-apiserver/kubeconfig.ts';
import { FakeApiServer } from './support/fake-apiserver/server.ts';
import { backendRef, gateway, gatewayClass, httpRoute, parent } from './support/gateway-manifests.ts';
import { waitFor } from './support/kube-harness.ts';
import { captureLogger } from './support/log-capture.ts';
import { ingress, ingressClass } from './support/manifests.ts';

/**
 * Without the Gateway API CRDs the Kubernetes source serves Ingresses only and says so once; when the
 * CRDs appear it starts watching the Gateway API kinds, without a restart, and a route created after
 * that reaches the snapshot like any other change.
 */
describe('gateway - Gateway API CRDs are discovered, also after start-up', () => {
  let api: FakeApiServer;
  let dir: string;
  let source: KubernetesSource;
  const snapshots: ObjectSet[] = [];
  const log = captureLogger();
  const last = () => snapshots[snapshots.length - 1];

  before(async () => {
    api = await FakeApiServer.start();
    api.put(ingressClass());
    api.put(ingress('web', { rules: [{ host: 'web.test', paths: [{ path: '/', service: 'web' }] }] }));
    dir = await mkdtemp(join(tmpdir(), 'rauta-crd-'));
    const kc = loadKubeConfig(await writeKubeconfig(join(dir, 'kubeconfig'), api.url), {});
    source = new KubernetesSource({ kubeConfig: kc, namespaces: [], debounceMs: 10, maxDebounceMs: 100, logger: log.logger, gatewayDiscoveryIntervalMs: 200 });
    await source.start((o) => snapshots.push(o));
  });
  after(async () => {
    await source.stop();
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('starts Ingress-only and says so once', async () => {
    assert.equal(last().ingresses.length, 1);
    assert.equal(last().gateways, undefined);
    await new Promise((r) => setTimeout(r, 700)); // several discovery rounds
    const notes = log.lines().filter((l) => String(l.msg).includes('Gateway API CRDs not installed'));
    assert.equal(notes.length, 1);
    assert.ok(!api.requests.some((r) => r.path.includes('/apis/gateway.networking.k8s.io/v1/') && r.path !== '/apis/gateway.networking.k8s.io/v1'), 'nothing listed before the CRDs exist');
  });

  it('watches the Gateway API kinds once the CRDs are installed', async () => {
    api.installGatewayApi();
    await waitFor(() => last().gateways !== undefined, 10_000, 'the Gateway API kinds in the snapshot');
    api.put(gatewayClass());
    api.put(gateway('infra', 'gw', [{ name: 'web' }]));
    api.put(httpRoute('infra', 'r', { parentRefs: [parent('infra', 'gw')], rules: [{ backendRefs: [backendRef('web', 80)] }] }));
    const s = await waitFor(() => (last().httpRoutes?.length === 1 && last().gateways?.length === 1 ? last() : undefined), 10_000, 'the new route in a snapshot');
    assert.equal(s.gatewayClasses?.[0].metadata.name, 'rauta');
    assert.equal(s.httpRoutes?.[0].kind, 'HTTPRoute');
    assert.equal(s.ingresses.length, 1, 'Ingresses are still served');
    assert.ok(log.lines().some((l) => String(l.msg).includes('Gateway API CRDs appeared')));
  });
});
