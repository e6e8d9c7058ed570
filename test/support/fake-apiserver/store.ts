import { randomUUID } from 'node:crypto';
import { ApiError, expired } from './errors.ts';
import { type ResourceType, apiVersionOf, typeKey } from './resources.ts';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    generation?: number;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly type: EventType;
  readonly rv: number;
  readonly typeKey: string;
  readonly object: KubeObject;
  /** The object before a MODIFIED event, so selector watches can turn it into ADDED/DELETED. */
  readonly previous?: KubeObject;
}

const objectKey = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`;
const specOf = (o: KubeObject) => {
  const { metadata: _m, status: _s, ...rest } = o;
  return JSON.stringify(rest);
};

/**
 * The fake server's etcd: objects by type, one global resourceVersion counter, and an event history a
 * watch can resume from until it is compacted.
 */
export class Store {
  private rv = 1000;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private history: StoreEvent[] = [];
  /** Watches or lists from a resourceVersion below this one get 410 Expired. */
  compactedRv = 0;
  private readonly listeners = new Set<(e: StoreEvent) => void>();

  get resourceVersion(): number {
    return this.rv;
  }

  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  list(type: ResourceType, namespace?: string): KubeObject[] {
    const all = [...(this.objects.get(typeKey(type))?.values() ?? [])];
    const filtered = namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
    return filtered.sort((a, b) => {
      const ka = objectKey(a.metadata.namespace, a.metadata.name);
      const kb = objectKey(b.metadata.namespace, b.metadata.name);
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(typeKey(type))?.get(objectKey(type.namespaced ? namespace : undefined, name));
  }

  mustGet(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const found = this.get(type, namespace, name);
    if (!found) throw notFound(type, name);
    return found;
  }

  create(type: ResourceType, input: KubeObject): KubeObject {
    const name = input.metadata?.name;
    if (!name) throw new ApiError(422, 'Invalid', `${type.kind} is invalid: metadata.name: Required value`);
    const namespace = type.namespaced ? (input.metadata.namespace ?? 'default') : undefined;
    if (this.get(type, namespace, name)) {
      throw new ApiError(409, 'AlreadyExists', `${type.plural}${type.group ? `.${type.group}` : ''} "${name}" already exists`, { name, group: type.group, kind: type.plural });
    }
    const rv = ++this.rv;
    const obj: KubeObject = {
      ...structuredClone(input),
      apiVersion: apiVersionOf(type),
      kind: type.kind,
      metadata: {
        ...structuredClone(input.metadata),
        name,
        ...(namespace !== undefined ? { namespace } : {}),
        uid: randomUUID(),
        resourceVersion: String(rv),
        generation: 1,
        // Kept when given, unlike a real API server: tests order conflicting Ingresses by it.
        creationTimestamp: input.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    };
    if (!type.namespaced) delete obj.metadata.namespace;
    this.put(type, obj);
    this.record({ type: 'ADDED', rv, typeKey: typeKey(type), object: obj });
    return obj;
  }

  /**
   * Replaces an object. A stale `metadata.resourceVersion` is a 409 Conflict (optimistic concurrency);
   * none means "unconditional". `part` keeps the other half of objects with a status subresource.
   */
  update(type: ResourceType, namespace: string | undefined, name: string, input: KubeObject, part: 'main' | 'status'): KubeObject {
    const current = this.mustGet(type, namespace, name);
    const wanted = input.metadata?.resourceVersion;
    if (wanted !== undefined && wanted !== '' && wanted !== current.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${type.plural}${type.group ? `.${type.group}` : ''} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, group: type.group, kind: type.plural });
    }
    let next: KubeObject;
    if (part === 'status') {
      next = { ...structuredClone(current), status: structuredClone(input.status) };
    } else {
      next = { ...structuredClone(input), metadata: { ...structuredClone(input.metadata ?? current.metadata) } };
      if (type.hasStatus) {
        if (current.status === undefined) delete next.status;
        else next.status = structuredClone(current.status);
      }
      next.metadata.uid = current.metadata.uid;
      next.metadata.creationTimestamp = current.metadata.creationTimestamp;
      next.metadata.generation = (current.metadata.generation ?? 1) + (specOf(next) === specOf(current) ? 0 : 1);
    }
    next.apiVersion = apiVersionOf(type);
    next.kind = type.kind;
    next.metadata.name = name;
    if (type.namespaced) next.metadata.namespace = namespace;
    if (JSON.stringify({ ...next, metadata: { ...next.metadata, resourceVersion: '' } }) === JSON.stringify({ ...current, metadata: { ...current.metadata, resourceVersion: '' } })) {
      return current; // a no-op write does not bump the resourceVersion, as in Kubernetes
    }
    const rv = ++this.rv;
    next.metadata.resourceVersion = String(rv);
    this.put(type, next);
    this.record({ type: 'MODIFIED', rv, typeKey: typeKey(type), object: next, previous: current });
    return next;
  }

  delete(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const current = this.mustGet(type, namespace, name);
    const rv = ++this.rv;
    this.objects.get(typeKey(type))?.delete(objectKey(type.namespaced ? namespace : undefined, name));
    const gone: KubeObject = { ...current, metadata: { ...current.metadata, resourceVersion: String(rv) } };
    this.record({ type: 'DELETED', rv, typeKey: typeKey(type), object: gone });
    return gone;
  }

  /** Events of one type after `rv`; 410 when some of them were compacted away. */
  eventsSince(type: ResourceType, rv: number): StoreEvent[] {
    if (rv < this.compactedRv) throw expired(`too old resource version: ${rv} (${this.compactedRv})`);
    const key = typeKey(type);
    return this.history.filter((e) => e.rv > rv && e.typeKey === key);
  }

  /** Forgets the history: resuming from any earlier resourceVersion now gets 410 Expired. */
  compact(): void {
    this.compactedRv = this.rv;
    this.history = [];
  }

  private put(type: ResourceType, obj: KubeObject): void {
    const key = typeKey(type);
    let byName = this.objects.get(key);
    if (!byName) this.objects.set(key, (byName = new Map()));
    byName.set(objectKey(obj.metadata.namespace, obj.metadata.name), obj);
  }

  private record(e: StoreEvent): void {
    this.history.push(e);
    if (this.history.length > 10_000) {
      this.history.splice(0, 5_000);
      this.compactedRv = this.history[0].rv - 1;
    }
    for (const l of this.listeners) l(e);
  }
}

export function notFound(type: ResourceType, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${type.plural}${type.group ? `.${type.group}` : ''} "${name}" not found`, { name, group: type.group, kind: type.plural });
}
