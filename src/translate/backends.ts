import type { EndpointSlice, IngressBackend, Service, ServicePort } from '../sources/object-set.ts';
import { SERVICE_NAME_LABEL } from '../sources/object-set.ts';
import type { Backend, Endpoint } from '../routing/types.ts';
import { Reasons } from '../routing/reasons.ts';

interface Remembered {
  readonly service: Service | undefined;
  readonly slices: readonly EndpointSlice[];
  readonly backend: Backend;
}

const NO_SLICES: readonly EndpointSlice[] = Object.freeze([]);

/**
 * Backends of the previous translation with the objects they were built from. When a Service and its
 * EndpointSlices are the same objects as last time (sources keep unchanged objects), the same frozen
 * Backend comes back: an EndpointSlice change rebuilds one backend, and everything downstream (routes,
 * selectors, worker updates) can tell unchanged backends by identity.
 */
export class BackendMemo {
  private previous = new Map<string, Remembered>();
  private current = new Map<string, Remembered>();

  recall(id: string, service: Service | undefined, slices: readonly EndpointSlice[]): Backend | undefined {
    const r = this.current.get(id) ?? this.previous.get(id);
    if (r === undefined || r.service !== service || r.slices.length !== slices.length) return undefined;
    for (let i = 0; i < slices.length; i++) if (r.slices[i] !== slices[i]) return undefined;
    return r.backend;
  }

  remember(id: string, service: Service | undefined, slices: readonly EndpointSlice[], backend: Backend): void {
    this.current.set(id, { service, slices, backend });
  }

  /** Ends one translation: forgets the backends it did not use. */
  sweep(): void {
    this.previous = this.current;
    this.current = new Map();
  }
}

/** Joins Services with their EndpointSlices (by the `kubernetes.io/service-name` label). */
export class BackendResolver {
  private readonly services = new Map<string, Service>();
  private readonly slices = new Map<string, EndpointSlice[]>();
  private readonly cache = new Map<string, Backend>();
  private readonly memo: BackendMemo;

  constructor(services: readonly Service[], slices: readonly EndpointSlice[], memo = new BackendMemo()) {
    this.memo = memo;
    for (const s of services) this.services.set(`${s.metadata.namespace ?? 'default'}/${s.metadata.name}`, s);
    for (const slice of slices) {
      const svc = slice.metadata.labels?.[SERVICE_NAME_LABEL];
      if (svc === undefined) continue;
      const key = `${slice.metadata.namespace ?? 'default'}/${svc}`;
      const list = this.slices.get(key);
      if (list) list.push(slice);
      else this.slices.set(key, [slice]);
    }
  }

  /** The EndpointSlices by Service (`namespace/name`). */
  get slicesByService(): ReadonlyMap<string, readonly EndpointSlice[]> {
    return this.slices;
  }

  /** The Services by `namespace/name`. */
  get servicesByKey(): ReadonlyMap<string, Service> {
    return this.services;
  }

  /** Every backend resolved so far, sorted by id. */
  all(): Backend[] {
    return [...this.cache.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** `b` resolved against this resolver's objects (the same object when nothing it came from changed). */
  again(b: Backend): Backend {
    // Port names never consist of digits only (IANA service names need a letter).
    const port = /^[0-9]+$/.test(b.servicePort) ? { number: Number(b.servicePort) } : { name: b.servicePort };
    return this.resolve(b.namespace, { service: { name: b.service, port } });
  }

  resolve(namespace: string, ref: IngressBackend): Backend {
    const svc = ref.service!;
    const portRef = svc.port?.number !== undefined ? String(svc.port.number) : (svc.port?.name ?? '');
    const id = `${namespace}/${svc.name}:${portRef}`;
    const cached = this.cache.get(id);
    if (cached) return cached;
    const key = `${namespace}/${svc.name}`;
    const service = this.services.get(key);
    const slices = this.slices.get(key) ?? NO_SLICES;
    const backend = this.memo.recall(id, service, slices) ?? Object.freeze(this.build(id, namespace, svc.name, svc.port?.number, svc.port?.name, portRef));
    this.memo.remember(id, service, slices, backend);
    this.cache.set(id, backend);
    return backend;
  }

  private build(id: string, namespace: string, name: string, portNumber: number | undefined, portName: string | undefined, portRef: string): Backend {
    const base = { id, namespace, service: name, servicePort: portRef };
    const service = this.services.get(`${namespace}/${name}`);
    if (!service) {
      return { ...base, endpoints: [], unavailable: { reason: Reasons.ServiceNotFound, message: `service ${namespace}/${name} not found` } };
    }
    if (service.spec?.type === 'ExternalName') {
      return { ...base, endpoints: [], unavailable: { reason: Reasons.UnsupportedService, message: `service ${namespace}/${name} is of type ExternalName, which RAUTA does not route to` } };
    }
    const ports = service.spec?.ports ?? [];
    const port = portNumber !== undefined ? ports.find((p) => p.port === portNumber) : ports.find((p) => p.name === portName);
    if (!port) {
      const wanted = portNumber !== undefined ? `port ${portNumber}` : `port named "${portName}"`;
      return { ...base, endpoints: [], unavailable: { reason: Reasons.ServicePortNotFound, message: `service ${namespace}/${name} has no ${wanted}` } };
    }
    return { ...base, endpoints: this.endpointsFor(namespace, name, port, ports.length) };
  }

  private endpointsFor(namespace: string, name: string, port: ServicePort, servicePortCount: number): Endpoint[] {
    const byKey = new Map<string, Endpoint>();
    for (const slice of this.slices.get(`${namespace}/${name}`) ?? []) {
      if (slice.addressType === 'FQDN') continue;
      const slicePorts = slice.ports ?? [];
      // EndpointSlice ports carry the Service port's name ('' when the Service has a single unnamed port).
      let podPort = slicePorts.find((p) => (p.name ?? '') === (port.name ?? ''))?.port;
      if (podPort === undefined && slicePorts.length === 1 && servicePortCount === 1) podPort = slicePorts[0].port;
      if (podPort === undefined && slicePorts.length === 0 && typeof port.targetPort === 'number') podPort = port.targetPort;
      if (podPort === undefined) continue;
      for (const ep of slice.endpoints ?? []) {
        const ip = ep.addresses?.[0];
        if (!ip) continue;
        const conditions = ep.conditions ?? {};
        const ready = conditions.ready !== false;
        const endpoint: Endpoint = Object.freeze({
          key: ip.includes(':') ? `[${ip}]:${podPort}` : `${ip}:${podPort}`,
          ip,
          port: podPort,
          ready,
          serving: conditions.serving ?? ready,
          terminating: conditions.terminating === true,
          pod: ep.targetRef?.kind === 'Pod' || ep.targetRef?.kind === undefined ? ep.targetRef?.name : undefined,
          podUid: ep.targetRef?.uid,
          node: ep.nodeName,
          zone: ep.zone,
          weight: 1,
        });
        const existing = byKey.get(endpoint.key);
        // The same address can appear in two slices while a pod moves between them: prefer the ready copy.
        if (!existing || (!existing.ready && endpoint.ready)) byKey.set(endpoint.key, endpoint);
      }
    }
    return [...byKey.values()].sort(compareEndpoints);
  }
}

function compareEndpoints(a: Endpoint, b: Endpoint): number {
  if (a.ip !== b.ip) return a.ip < b.ip ? -1 : 1;
  return a.port - b.port;
}
