import type { KubernetesObject } from '@kubernetes/client-node';
import type { Namespace } from '../gateway-objects.ts';
import { type ConfigMap, type EndpointSlice, type Ingress, type IngressClass, type ObjectMeta, type Secret, type Service, type ServicePort, keptConfigMapData } from '../object-set.ts';

/**
 * Informer caches hold two shapes of the same object: instances of client-node's model classes (from a
 * list, with `Date` timestamps) and plain JSON (from a watch, with string timestamps). Translation must
 * not see the difference, so every object is trimmed to the fields RAUTA reads, as plain JSON, with
 * timestamps in one canonical format. Results are cached per cached object: an informer replaces the
 * object on every update, so identity is a safe key and a rebuild only converts what changed.
 */
type Raw = KubernetesObject & Record<string, unknown>;

const json = <T>(v: unknown): T | undefined => (v === undefined || v === null ? undefined : (JSON.parse(JSON.stringify(v)) as T));

function canonicalTime(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  const d = v instanceof Date ? v : new Date(String(v));
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString();
}

function meta(o: Raw): ObjectMeta {
  const m = o.metadata ?? {};
  const out: ObjectMeta = { name: m.name ?? '' };
  if (m.namespace) out.namespace = m.namespace;
  if (m.uid) out.uid = m.uid;
  if (m.resourceVersion) out.resourceVersion = m.resourceVersion;
  if (m.generation !== undefined) out.generation = m.generation;
  const created = canonicalTime(m.creationTimestamp);
  if (created) out.creationTimestamp = created;
  if (m.labels) out.labels = { ...m.labels };
  if (m.annotations) out.annotations = { ...m.annotations };
  return out;
}

function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export const toIngress = (o: Raw): Ingress => compact({
  apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' as const, metadata: meta(o), spec: json(o.spec), status: json(o.status),
});

export const toIngressClass = (o: Raw): IngressClass => compact({
  apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass' as const, metadata: meta(o),
  spec: compact({ controller: (o.spec as { controller?: string } | undefined)?.controller }),
});

export const toService = (o: Raw): Service => {
  const spec = (o.spec ?? {}) as Record<string, unknown>;
  return compact({
    apiVersion: 'v1', kind: 'Service' as const, metadata: meta(o),
    spec: compact({ type: spec.type as string | undefined, ports: json<ServicePort[]>(spec.ports), externalName: spec.externalName as string | undefined, clusterIP: spec.clusterIP as string | undefined }),
    status: json(o.status),
  });
};

export const toEndpointSlice = (o: Raw): EndpointSlice => compact({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' as const, metadata: meta(o),
  addressType: o.addressType as string | undefined, endpoints: json(o.endpoints), ports: json(o.ports),
});

export const toSecret = (o: Raw): Secret => compact({
  apiVersion: 'v1', kind: 'Secret' as const, metadata: meta(o), type: o.type as string | undefined, data: json(o.data),
});

export const toConfigMap = (o: Raw): ConfigMap => compact({
  apiVersion: 'v1', kind: 'ConfigMap' as const, metadata: meta(o), ...keptConfigMapData(o.data),
});

/** Converts with a per-object cache (see above). */
export class Normalizer<T> {
  private readonly cache = new WeakMap<object, T>();
  private readonly convert: (o: Raw) => T;
  constructor(convert: (o: Raw) => T) {
    this.convert = convert;
  }

  all(objects: readonly KubernetesObject[]): T[] {
    return objects.map((o) => {
      let hit = this.cache.get(o);
      if (hit === undefined) this.cache.set(o, (hit = this.convert(o as Raw)));
      return hit;
    });
  }
}

/** Gateway API objects keep spec and status as given (status: the status writer compares against it). */
export const toGatewayApiObject = <T>(kind: string) => (o: Raw): T => compact({
  apiVersion: typeof o.apiVersion === 'string' ? o.apiVersion : undefined, kind, metadata: meta(o), spec: json(o.spec), status: json(o.status),
}) as T;

export const toNamespace = (o: Raw): Namespace => ({ apiVersion: 'v1', kind: 'Namespace', metadata: meta(o) });
