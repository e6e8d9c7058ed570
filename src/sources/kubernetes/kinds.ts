import {
  CoreV1Api,
  DiscoveryV1Api,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  NetworkingV1Api,
} from '@kubernetes/client-node';

export type KindName =
  | 'ingresses' | 'ingressClasses' | 'services' | 'endpointSlices' | 'secrets' | 'opaqueSecrets' | 'configMaps'
  | 'gatewayClasses' | 'gateways' | 'httpRoutes' | 'grpcRoutes' | 'referenceGrants' | 'namespaces';

export interface Page {
  items: KubernetesObject[];
  metadata?: { resourceVersion?: string; _continue?: string };
}

/** One watched resource: its REST path, how to list it, and an optional field selector for list and watch. */
export interface WatchedKind {
  readonly name: KindName;
  readonly clusterScoped: boolean;
  readonly fieldSelector?: string;
  path(namespace: string | undefined): string;
  list(namespace: string | undefined): Promise<KubernetesListObject<KubernetesObject>>;
}

/** Large clusters are listed in pages, so no single response holds every Secret or EndpointSlice. */
export const PAGE_SIZE = 500;

export async function listAll(page: (cont: string | undefined) => Promise<Page>): Promise<KubernetesListObject<KubernetesObject>> {
  const items: KubernetesObject[] = [];
  let resourceVersion: string | undefined;
  let cont: string | undefined;
  do {
    const p = await page(cont);
    items.push(...p.items);
    resourceVersion ??= p.metadata?.resourceVersion;
    cont = p.metadata?._continue || undefined;
  } while (cont !== undefined);
  return { items, metadata: { resourceVersion } };
}

const TLS_SECRETS = 'type=kubernetes.io/tls';
/** ingress-nginx's basic-auth users (`auth`) and upstream CA bundles (`ca.crt`) live in Opaque Secrets. */
const OPAQUE_SECRETS = 'type=Opaque';

export function watchedKinds(kc: KubeConfig): readonly WatchedKind[] {
  const core = kc.makeApiClient(CoreV1Api);
  const net = kc.makeApiClient(NetworkingV1Api);
  const disc = kc.makeApiClient(DiscoveryV1Api);
  const nsPath = (prefix: string, plural: string) => (ns: string | undefined) => (ns === undefined ? `${prefix}/${plural}` : `${prefix}/namespaces/${encodeURIComponent(ns)}/${plural}`);
  return [
    {
      name: 'ingresses', clusterScoped: false, path: nsPath('/apis/networking.k8s.io/v1', 'ingresses'),
      list: (ns) => listAll((c) => (ns === undefined
        ? net.listIngressForAllNamespaces({ limit: PAGE_SIZE, _continue: c })
        : net.listNamespacedIngress({ namespace: ns, limit: PAGE_SIZE, _continue: c })) as Promise<Page>),
    },
    {
      name: 'ingressClasses', clusterScoped: true, path: () => '/apis/networking.k8s.io/v1/ingressclasses',
      list: () => listAll((c) => net.listIngressClass({ limit: PAGE_SIZE, _continue: c }) as Promise<Page>),
    },
    {
      name: 'services', clusterScoped: false, path: nsPath('/api/v1', 'services'),
      list: (ns) => listAll((c) => (ns === undefined
        ? core.listServiceForAllNamespaces({ limit: PAGE_SIZE, _continue: c })
        : core.listNamespacedService({ namespace: ns, limit: PAGE_SIZE, _continue: c })) as Promise<Page>),
    },
    {
      name: 'endpointSlices', clusterScoped: false, path: nsPath('/apis/discovery.k8s.io/v1', 'endpointslices'),
      list: (ns) => listAll((c) => (ns === undefined
        ? disc.listEndpointSliceForAllNamespaces({ limit: PAGE_SIZE, _continue: c })
        : disc.listNamespacedEndpointSlice({ namespace: ns, limit: PAGE_SIZE, _continue: c })) as Promise<Page>),
    },
    {
      // Only TLS Secrets: RAUTA never needs (nor should cache) anything else in a namespace's Secrets.
      name: 'secrets', clusterScoped: false, fieldSelector: TLS_SECRETS, path: nsPath('/api/v1', 'secrets'),
      list: (ns) => listAll((c) => (ns === undefined
        ? core.listSecretForAllNamespaces({ limit: PAGE_SIZE, _continue: c, fieldSelector: TLS_SECRETS })
        : core.listNamespacedSecret({ namespace: ns, limit: PAGE_SIZE, _continue: c, fieldSelector: TLS_SECRETS })) as Promise<Page>),
    },
    {
      // Only Secrets an Ingress annotation names reach the route table (see referencedSecrets).
      name: 'opaqueSecrets', clusterScoped: false, fieldSelector: OPAQUE_SECRETS, path: nsPath('/api/v1', 'secrets'),
      list: (ns) => listAll((c) => (ns === undefined
        ? core.listSecretForAllNamespaces({ limit: PAGE_SIZE, _continue: c, fieldSelector: OPAQUE_SECRETS })
        : core.listNamespacedSecret({ namespace: ns, limit: PAGE_SIZE, _continue: c, fieldSelector: OPAQUE_SECRETS })) as Promise<Page>),
    },
    {
      // custom-headers names a ConfigMap. Watched in the namespaces RAUTA watches (RAUTA_WATCH_NAMESPACE
      // narrows it); the cache keeps only small ones' data (keptConfigMapData), never large blobs.
      name: 'configMaps', clusterScoped: false, path: nsPath('/api/v1', 'configmaps'),
      list: (ns) => listAll((c) => (ns === undefined
        ? core.listConfigMapForAllNamespaces({ limit: PAGE_SIZE, _continue: c })
        : core.listNamespacedConfigMap({ namespace: ns, limit: PAGE_SIZE, _continue: c })) as Promise<Page>),
    },
  ];
}
