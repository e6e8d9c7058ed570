import type { KubernetesObject } from '@kubernetes/client-node';
import type { ObjectSet } from '../../src/sources/object-set.ts';
import type { GRPCRoute, Gateway, GatewayClass, HTTPRoute, ReferenceGrant } from '../../src/sources/gateway-objects.ts';
import { toEndpointSlice, toGatewayApiObject, toIngress, toIngressClass, toNamespace, toSecret, toService } from '../../src/sources/kubernetes/normalize.ts';
import { translate } from '../../src/translate/translate.ts';
import type { ConformanceDriver, DriverFactory } from './conformance-driver.ts';
import { FakeApiServer } from './fake-apiserver/server.ts';
import type { KubeObject } from './fake-apiserver/store.ts';
import { startKubeRauta, waitFor } from './kube-harness.ts';
import type { Obj } from './manifests.ts';

/** The kinds RAUTA reads; `apply` replaces exactly these in the fake cluster. */
const KINDS = [
  ['networking.k8s.io/v1', 'Ingress'],
  ['networking.k8s.io/v1', 'IngressClass'],
  ['v1', 'Service'],
  ['discovery.k8s.io/v1', 'EndpointSlice'],
  ['v1', 'Secret'],
  ['v1', 'Namespace'],
  ['gateway.networking.k8s.io/v1', 'GatewayClass'],
  ['gateway.networking.k8s.io/v1', 'Gateway'],
  ['gateway.networking.k8s.io/v1', 'HTTPRoute'],
  ['gateway.networking.k8s.io/v1', 'GRPCRoute'],
  ['gateway.networking.k8s.io/v1beta1', 'ReferenceGrant'],
] as const;

const keyOf = (apiVersion: unknown, kind: unknown, ns: unknown, name: unknown) => `${String(apiVersion)}|${String(kind)}|${String(ns ?? '')}|${String(name)}`;

/** The ObjectSet RAUTA's informers will hold once they have caught up with the fake cluster. */
function expectedObjects(api: FakeApiServer): ObjectSet {
  const raw = (apiVersion: string, kind: string) => api.list(apiVersion, kind) as unknown as (KubernetesObject & Record<string, unknown>)[];
  return {
    ingresses: raw('networking.k8s.io/v1', 'Ingress').map(toIngress),
    ingressClasses: raw('networking.k8s.io/v1', 'IngressClass').map(toIngressClass),
    services: raw('v1', 'Service').map(toService),
    endpointSlices: raw('discovery.k8s.io/v1', 'EndpointSlice').map(toEndpointSlice),
    // RAUTA only watches TLS Secrets (field selector type=kubernetes.io/tls).
    secrets: raw('v1', 'Secret').filter((s) => s.type === 'kubernetes.io/tls').map(toSecret),
    problems: [],
    // The Gateway API CRDs are installed by this driver, so RAUTA watches these kinds too.
    gatewayClasses: raw('gateway.networking.k8s.io/v1', 'GatewayClass').map(toGatewayApiObject<GatewayClass>('GatewayClass')),
    gateways: raw('gateway.networking.k8s.io/v1', 'Gateway').map(toGatewayApiObject<Gateway>('Gateway')),
    httpRoutes: raw('gateway.networking.k8s.io/v1', 'HTTPRoute').map(toGatewayApiObject<HTTPRoute>('HTTPRoute')),
    grpcRoutes: raw('gateway.networking.k8s.io/v1', 'GRPCRoute').map(toGatewayApiObject<GRPCRoute>('GRPCRoute')),
    referenceGrants: raw('gateway.networking.k8s.io/v1beta1', 'ReferenceGrant').map(toGatewayApiObject<ReferenceGrant>('ReferenceGrant')),
    namespaces: raw('v1', 'Namespace').map(toNamespace),
  };
}

/**
 * Conformance in Kubernetes mode: objects go into the fake API server, RAUTA reads them with its real
 * informers. `apply` waits until the live table's fingerprint equals that of translating what the API
 * server now holds, so a scenario never races the watch and debounce.
 */
export const kubeDriver: DriverFactory = async (): Promise<ConformanceDriver> => {
  const api = await FakeApiServer.start();
  api.installGatewayApi();
  const rauta = await startKubeRauta(api);
  return {
    httpPort: rauta.httpPort,
    httpsPort: rauta.httpsPort,
    table: () => rauta.routes.table,
    async apply(objects: readonly Obj[]) {
      const wanted = new Set<string>();
      for (const o of objects) {
        const meta = (o.metadata ?? {}) as { namespace?: string; name?: string };
        const type = api.typeOf(o);
        wanted.add(keyOf(o.apiVersion, o.kind, type.namespaced ? (meta.namespace ?? 'default') : undefined, meta.name));
      }
      for (const [apiVersion, kind] of KINDS) {
        for (const existing of api.list(apiVersion, kind)) {
          const m: KubeObject['metadata'] = existing.metadata;
          if (!wanted.has(keyOf(apiVersion, kind, m.namespace, m.name))) api.remove(apiVersion, kind, m.namespace, m.name);
        }
      }
      for (const o of objects) api.put(o);
      const { fingerprint } = translate(expectedObjects(api), { ingressClass: 'rauta', controllerName: 'rauta.io/ingress-controller' });
      await waitFor(() => rauta.reconciler.current?.fingerprint === fingerprint, 10_000, 'RAUTA to serve the applied objects');
    },
    async stop() {
      await rauta.stop();
      await api.close();
    },
  };
};
