/** The resource types the fake API server knows: enough for RAUTA, client-node informers and kubectl. */
export interface ResourceType {
  readonly group: string; // '' for the core group
  readonly version: string;
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** Has a `/status` subresource: the main endpoint ignores status changes and `/status` changes only status. */
  readonly hasStatus: boolean;
  readonly shortNames?: readonly string[];
  /** Served only while a CustomResourceDefinition of this name exists (like a real cluster's CRDs). */
  readonly crd?: string;
}

const gw = (version: string, plural: string, kind: string, namespaced: boolean): ResourceType => ({
  group: 'gateway.networking.k8s.io', version, plural, singular: kind.toLowerCase(), kind, namespaced, hasStatus: kind !== 'ReferenceGrant',
  crd: `${plural}.gateway.networking.k8s.io`,
});

export const RESOURCE_TYPES: readonly ResourceType[] = [
  { group: '', version: 'v1', plural: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, hasStatus: true, shortNames: ['ns'] },
  { group: '', version: 'v1', plural: 'services', singular: 'service', kind: 'Service', namespaced: true, hasStatus: true, shortNames: ['svc'] },
  { group: '', version: 'v1', plural: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true, hasStatus: false },
  { group: '', version: 'v1', plural: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true, hasStatus: false, shortNames: ['cm'] },
  { group: '', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true, hasStatus: false, shortNames: ['ev'] },
  { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', singular: 'ingress', kind: 'Ingress', namespaced: true, hasStatus: true, shortNames: ['ing'] },
  { group: 'networking.k8s.io', version: 'v1', plural: 'ingressclasses', singular: 'ingressclass', kind: 'IngressClass', namespaced: false, hasStatus: false },
  { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', singular: 'endpointslice', kind: 'EndpointSlice', namespaced: true, hasStatus: false },
  { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', singular: 'lease', kind: 'Lease', namespaced: true, hasStatus: false },
  { group: 'events.k8s.io', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true, hasStatus: false, shortNames: ['ev'] },
  { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', singular: 'customresourcedefinition', kind: 'CustomResourceDefinition', namespaced: false, hasStatus: true, shortNames: ['crd'] },
  // Gateway API, standard channel (v1.x): served once its CRDs are created (see FakeApiServer.installGatewayApi).
  gw('v1', 'gatewayclasses', 'GatewayClass', false),
  gw('v1', 'gateways', 'Gateway', true),
  gw('v1', 'httproutes', 'HTTPRoute', true),
  gw('v1', 'grpcroutes', 'GRPCRoute', true),
  gw('v1beta1', 'referencegrants', 'ReferenceGrant', true),
];

/** The CRD names of the Gateway API standard channel, as `kubectl apply -f standard-install.yaml` creates them. */
export const GATEWAY_API_CRDS: readonly string[] = RESOURCE_TYPES.flatMap((t) => (t.crd !== undefined ? [t.crd] : []));

export function apiVersionOf(t: ResourceType): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

/** `group/version/plural`: the store key of a resource type. */
export function typeKey(t: ResourceType): string {
  return `${t.group}/${t.version}/${t.plural}`;
}

export function findType(group: string, version: string, plural: string, types: readonly ResourceType[] = RESOURCE_TYPES): ResourceType | undefined {
  return types.find((t) => t.group === group && t.version === version && t.plural === plural);
}

export function findByKind(apiVersion: string, kind: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
}
