import type { GatewayObjects } from './gateway-objects.ts';

/**
 * The Kubernetes objects RAUTA reads, trimmed to the fields it uses. Both sources (the API server and the
 * standalone YAML file) produce an ObjectSet; translation never knows which one did.
 */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface ServiceBackendPort { number?: number; name?: string }
export interface IngressBackend {
  service?: { name: string; port?: ServiceBackendPort };
  resource?: { apiGroup?: string; kind: string; name: string };
}
export interface HTTPIngressPath { path?: string; pathType?: string; backend: IngressBackend }
export interface IngressRule { host?: string; http?: { paths: HTTPIngressPath[] } }
export interface IngressTLS { hosts?: string[]; secretName?: string }
export interface LoadBalancerIngress { ip?: string; hostname?: string }

export interface Ingress {
  apiVersion?: string;
  kind?: 'Ingress';
  metadata: ObjectMeta;
  spec?: {
    ingressClassName?: string;
    defaultBackend?: IngressBackend;
    tls?: IngressTLS[];
    rules?: IngressRule[];
  };
  status?: { loadBalancer?: { ingress?: LoadBalancerIngress[] } };
}

export interface IngressClass {
  apiVersion?: string;
  kind?: 'IngressClass';
  metadata: ObjectMeta;
  spec?: { controller?: string };
}

export interface ServicePort { name?: string; port: number; targetPort?: number | string; protocol?: string; appProtocol?: string }
export interface Service {
  apiVersion?: string;
  kind?: 'Service';
  metadata: ObjectMeta;
  spec?: { type?: string; ports?: ServicePort[]; externalName?: string; clusterIP?: string };
  status?: { loadBalancer?: { ingress?: LoadBalancerIngress[] } };
}

export interface EndpointConditions { ready?: boolean; serving?: boolean; terminating?: boolean }
export interface SliceEndpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  nodeName?: string;
  zone?: string;
  targetRef?: { kind?: string; name?: string; namespace?: string; uid?: string };
  hints?: { forZones?: { name: string }[] };
}
export interface EndpointPort { name?: string; port?: number; protocol?: string; appProtocol?: string }
export interface EndpointSlice {
  apiVersion?: string;
  kind?: 'EndpointSlice';
  metadata: ObjectMeta;
  addressType?: string;
  endpoints?: SliceEndpoint[];
  ports?: EndpointPort[];
}

export interface Secret {
  apiVersion?: string;
  kind?: 'Secret';
  metadata: ObjectMeta;
  type?: string;
  data?: Record<string, string>;
}

/**
 * A ConfigMap, as far as RAUTA reads one (custom-headers). Sources keep only small ones: `data` is dropped
 * (and `tooLarge` set) when it holds more than CONFIGMAP_MAX_KEYS keys or CONFIGMAP_MAX_BYTES of text.
 */
export interface ConfigMap {
  apiVersion?: string;
  kind?: 'ConfigMap';
  metadata: ObjectMeta;
  data?: Record<string, string>;
  tooLarge?: boolean;
}

export const CONFIGMAP_MAX_KEYS = 128;
export const CONFIGMAP_MAX_BYTES = 64 * 1024;

/** The part of a ConfigMap's `data` a source keeps: string values only, and nothing when it is too large. */
export function keptConfigMapData(data: unknown): { data?: Record<string, string>; tooLarge?: boolean } {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return {};
  const out: Record<string, string> = {};
  let keys = 0;
  let bytes = 0;
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (typeof v !== 'string') continue;
    keys++;
    bytes += k.length + v.length;
    if (keys > CONFIGMAP_MAX_KEYS || bytes > CONFIGMAP_MAX_BYTES) return { tooLarge: true };
    out[k] = v;
  }
  return { data: out };
}

/** An object a source could not accept (bad YAML document, missing name…), reported next to the routes. */
export interface SourceProblem {
  kind: string;
  namespace?: string;
  name?: string;
  /** Where it came from, e.g. `examples/demo.yaml#3`. */
  origin?: string;
  field?: string;
  message: string;
}

export interface ObjectSet extends GatewayObjects {
  readonly ingresses: readonly Ingress[];
  readonly ingressClasses: readonly IngressClass[];
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
  readonly secrets: readonly Secret[];
  /** Absent: the source does not read ConfigMaps (tests, older callers). */
  readonly configMaps?: readonly ConfigMap[];
  readonly problems: readonly SourceProblem[];
}

export const emptyObjectSet: ObjectSet = Object.freeze({
  ingresses: [], ingressClasses: [], services: [], endpointSlices: [], secrets: [], problems: [],
});

/** A source pushes whole snapshots; it never patches routes itself. */
/** A configuration a source read but could not use (the last good one stays live). */
export interface SourceRejection {
  /** e.g. `file` */
  readonly source: string;
  /** A stable RAUTA_ERR_* code, e.g. RAUTA_ERR_MANIFEST. */
  readonly code: string;
  readonly message: string;
}

/** Optional hook a source calls for every rejected configuration (`rauta_config_reloads_total{result="failure"}`). */
export type OnRejected = (rejection: SourceRejection) => void;

export interface Source {
  start(onSnapshot: (objects: ObjectSet) => void): Promise<void>;
  stop(): Promise<void>;
  /** True once the source has delivered one complete snapshot. */
  readonly synced: boolean;
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
