import { stringify } from 'yaml';

/** Small builders for the Kubernetes objects tests feed RAUTA (as YAML files or through the fake API). */
export type Obj = Record<string, unknown>;

export interface PathSpec {
  readonly path?: string;
  readonly pathType?: string;
  readonly service: string;
  readonly port?: number | string;
}
export interface RuleSpec {
  readonly host?: string;
  readonly paths: readonly PathSpec[];
}

function backend(service: string, port: number | string = 80): Obj {
  return { service: { name: service, port: typeof port === 'number' ? { number: port } : { name: port } } };
}

export function ingressClass(name = 'rauta', controller = 'rauta.io/ingress-controller', isDefault = false): Obj {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name, ...(isDefault ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}) },
    spec: { controller },
  };
}

export function ingress(name: string, opts: {
  namespace?: string;
  className?: string | null;
  rules?: readonly RuleSpec[];
  defaultBackend?: { service: string; port?: number | string };
  annotations?: Record<string, string>;
  tls?: readonly { hosts?: string[]; secretName?: string }[];
  creationTimestamp?: string;
} = {}): Obj {
  const spec: Obj = {};
  if (opts.className !== null) spec.ingressClassName = opts.className ?? 'rauta';
  if (opts.defaultBackend) spec.defaultBackend = backend(opts.defaultBackend.service, opts.defaultBackend.port);
  if (opts.tls) spec.tls = opts.tls;
  if (opts.rules) {
    spec.rules = opts.rules.map((r) => ({
      ...(r.host !== undefined ? { host: r.host } : {}),
      http: { paths: r.paths.map((p) => ({ path: p.path ?? '/', pathType: p.pathType ?? 'Prefix', backend: backend(p.service, p.port) })) },
    }));
  }
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace: opts.namespace ?? 'default',
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
      ...(opts.creationTimestamp ? { creationTimestamp: opts.creationTimestamp } : {}),
    },
    spec,
  };
}

export function service(name: string, opts: { namespace?: string; ports?: readonly { name?: string; port: number; targetPort?: number }[] } = {}): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: opts.namespace ?? 'default' },
    spec: { ports: opts.ports ?? [{ name: 'http', port: 80 }] },
  };
}

export interface EndpointSpec {
  readonly ip: string;
  readonly pod?: string;
  readonly ready?: boolean;
  readonly node?: string;
  readonly zone?: string;
}

export function endpointSlice(serviceName: string, port: number, endpoints: readonly EndpointSpec[], opts: { namespace?: string; name?: string; portName?: string } = {}): Obj {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: opts.name ?? `${serviceName}-slice`, namespace: opts.namespace ?? 'default', labels: { 'kubernetes.io/service-name': serviceName } },
    addressType: 'IPv4',
    ports: [{ name: opts.portName ?? 'http', port }],
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true },
      ...(e.pod ? { targetRef: { kind: 'Pod', name: e.pod, namespace: opts.namespace ?? 'default' } } : {}),
      ...(e.node ? { nodeName: e.node } : {}),
      ...(e.zone ? { zone: e.zone } : {}),
    })),
  };
}

export function toYaml(objects: readonly Obj[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

/** One pod of a test Service: its own EndpointSlice, since test pods listen on different ports. */
export interface PodSpec {
  readonly ip: string;
  readonly port: number;
  readonly pod?: string;
  readonly ready?: boolean;
}

/**
 * The common test set-up as YAML: our IngressClass, one Ingress sending `host` (every path) to Service
 * `service`, and that Service's pods.
 */
export function routeYaml(host: string, pods: readonly PodSpec[], opts: { service?: string; annotations?: Record<string, string>; extra?: readonly Obj[] } = {}): string {
  const svc = opts.service ?? 'web';
  return toYaml([
    ingressClass(),
    ingress('web', { rules: [{ host, paths: [{ path: '/', service: svc }] }], ...(opts.annotations ? { annotations: opts.annotations } : {}) }),
    service(svc),
    ...pods.map((p, i) => endpointSlice(svc, p.port, [{ ip: p.ip, pod: p.pod ?? `${svc}-${i}`, ready: p.ready }], { name: `${svc}-${i}` })),
    ...(opts.extra ?? []),
  ]);
}
