import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { GATEWAY_GROUP } from '../gateway-objects.ts';
import { type KindName, PAGE_SIZE, type Page, type WatchedKind, listAll } from './kinds.ts';

/** A Gateway API resource RAUTA reads, and the version it reads it at. */
interface GatewayResource {
  readonly name: KindName;
  readonly plural: string;
  readonly kind: string;
  readonly version: string;
  readonly clusterScoped: boolean;
}

/** Preferred versions first: the standard channel serves v1 for all but ReferenceGrant. */
const RESOURCES: readonly (Omit<GatewayResource, 'version'> & { readonly versions: readonly string[] })[] = [
  { name: 'gatewayClasses', plural: 'gatewayclasses', kind: 'GatewayClass', versions: ['v1', 'v1beta1'], clusterScoped: true },
  { name: 'gateways', plural: 'gateways', kind: 'Gateway', versions: ['v1', 'v1beta1'], clusterScoped: false },
  { name: 'httpRoutes', plural: 'httproutes', kind: 'HTTPRoute', versions: ['v1', 'v1beta1'], clusterScoped: false },
  { name: 'grpcRoutes', plural: 'grpcroutes', kind: 'GRPCRoute', versions: ['v1'], clusterScoped: false },
  { name: 'referenceGrants', plural: 'referencegrants', kind: 'ReferenceGrant', versions: ['v1beta1', 'v1'], clusterScoped: false },
];

/** What discovery found: the Gateway API resources served by this cluster (empty: CRDs not installed). */
export type GatewayApiResources = readonly GatewayResource[];

/**
 * Asks the API server which Gateway API resources it serves (the CRDs are optional). A 404 means not
 * installed; any other failure is thrown so the caller retries: guessing "absent" on a flaky API server
 * would drop every Gateway route.
 */
export async function discoverGatewayApi(kc: KubeConfig): Promise<GatewayApiResources> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const served = new Map<string, Set<string>>();
  for (const version of ['v1', 'v1beta1']) {
    try {
      const list = await api.getAPIResources({ group: GATEWAY_GROUP, version });
      served.set(version, new Set(list.resources.map((r) => r.name)));
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
  const out: GatewayResource[] = [];
  for (const r of RESOURCES) {
    const version = r.versions.find((v) => served.get(v)?.has(r.plural));
    if (version !== undefined) out.push({ name: r.name, plural: r.plural, kind: r.kind, version, clusterScoped: r.clusterScoped });
  }
  return out;
}

/** Informer definitions for the discovered resources, plus Namespaces (their labels select routes). */
export function gatewayKinds(kc: KubeConfig, resources: GatewayApiResources): WatchedKind[] {
  if (resources.length === 0) return [];
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const kinds: WatchedKind[] = resources.map((r) => {
    const prefix = `/apis/${GATEWAY_GROUP}/${r.version}`;
    return {
      name: r.name,
      clusterScoped: r.clusterScoped,
      path: (ns: string | undefined) => (ns === undefined || r.clusterScoped ? `${prefix}/${r.plural}` : `${prefix}/namespaces/${encodeURIComponent(ns)}/${r.plural}`),
      list: (ns: string | undefined) => listAll((c) => (ns === undefined || r.clusterScoped
        ? custom.listClusterCustomObject({ group: GATEWAY_GROUP, version: r.version, plural: r.plural, limit: PAGE_SIZE, _continue: c })
        : custom.listNamespacedCustomObject({ group: GATEWAY_GROUP, version: r.version, namespace: ns, plural: r.plural, limit: PAGE_SIZE, _continue: c })) as Promise<Page>),
    };
  });
  kinds.push({
    name: 'namespaces', clusterScoped: true, path: () => '/api/v1/namespaces',
    list: () => listAll((c) => core.listNamespace({ limit: PAGE_SIZE, _continue: c }) as Promise<Page>),
  });
  return kinds;
}
