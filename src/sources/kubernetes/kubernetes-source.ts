import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { GRPCRoute, Gateway, GatewayClass, HTTPRoute, ReferenceGrant } from '../gateway-objects.ts';
import type { Ingress, ObjectSet, Source } from '../object-set.ts';
import { Debouncer } from './debounce.ts';
import { type GatewayApiResources, discoverGatewayApi, gatewayKinds } from './gateway-kinds.ts';
import { type KindName, type WatchedKind, watchedKinds } from './kinds.ts';
import { Normalizer, toConfigMap, toEndpointSlice, toGatewayApiObject, toIngress, toIngressClass, toNamespace, toSecret, toService } from './normalize.ts';
import { type Backoff, DEFAULT_BACKOFF, RestartingInformer } from './restarting-informer.ts';

export interface KubernetesSourceOptions {
  readonly kubeConfig: KubeConfig;
  /** Empty: every namespace. */
  readonly namespaces: readonly string[];
  readonly debounceMs: number;
  readonly maxDebounceMs: number;
  readonly logger: Logger;
  readonly backoff?: Backoff;
  /** How often to look again for the Gateway API CRDs while they are not installed (default 30 s). */
  readonly gatewayDiscoveryIntervalMs?: number;
}

const DEFAULT_DISCOVERY_INTERVAL_MS = 30_000;

/** Annotations (any prefix) whose value names a Secret: `name` in the Ingress's namespace or `namespace/name`. */
const SECRET_ANNOTATIONS = ['/auth-secret', '/proxy-ssl-secret'];

/**
 * The Opaque Secrets some Ingress annotation names: only those join the snapshot, so the route table
 * (and everything that shows it) never carries a Secret nothing asked for.
 */
export function referencedSecrets(ingresses: readonly Ingress[]): Set<string> {
  const out = new Set<string>();
  for (const ing of ingresses) {
    const ns = ing.metadata.namespace ?? 'default';
    for (const [key, value] of Object.entries(ing.metadata.annotations ?? {})) {
      if (!SECRET_ANNOTATIONS.some((s) => key.endsWith(s))) continue;
      const v = value.trim();
      out.add(v.includes('/') ? v : `${ns}/${v}`);
    }
  }
  return out;
}

/**
 * Kubernetes mode: one informer per watched kind (per namespace when RAUTA_WATCH_NAMESPACE is set;
 * IngressClasses are cluster-scoped). Level-triggered, as in Traefik and Contour: an event only marks the
 * configuration dirty; after the debounce the whole ObjectSet is rebuilt from the informer caches and
 * emitted. Nothing is emitted before every informer has listed once. While the API server is down the
 * informers retry and nothing is emitted, so the last route table keeps serving.
 */
/** Sort keys of informer objects (the normalizers keep an unchanged object the same object). */
const sortKeys = new WeakMap<object, string>();

export class KubernetesSource implements Source {
  private readonly opts: KubernetesSourceOptions;
  private readonly logger: Logger;
  private readonly informers: RestartingInformer[] = [];
  private readonly debouncer: Debouncer;
  private onSnapshot: (objects: ObjectSet) => void = () => {};
  private firstSync: (() => void) | undefined;
  private readonly normalizers = {
    ingresses: new Normalizer(toIngress),
    ingressClasses: new Normalizer(toIngressClass),
    services: new Normalizer(toService),
    endpointSlices: new Normalizer(toEndpointSlice),
    secrets: new Normalizer(toSecret),
    opaqueSecrets: new Normalizer(toSecret),
    configMaps: new Normalizer(toConfigMap),
    gatewayClasses: new Normalizer(toGatewayApiObject<GatewayClass>('GatewayClass')),
    gateways: new Normalizer(toGatewayApiObject<Gateway>('Gateway')),
    httpRoutes: new Normalizer(toGatewayApiObject<HTTPRoute>('HTTPRoute')),
    grpcRoutes: new Normalizer(toGatewayApiObject<GRPCRoute>('GRPCRoute')),
    referenceGrants: new Normalizer(toGatewayApiObject<ReferenceGrant>('ReferenceGrant')),
    namespaces: new Normalizer(toNamespace),
  };
  /** Undefined until discovery has answered once: nothing is emitted before that. */
  private gatewayApi: GatewayApiResources | undefined;
  private discoveryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  synced = false;

  constructor(opts: KubernetesSourceOptions) {
    this.opts = opts;
    this.logger = opts.logger.child({ source: 'kubernetes' });
    this.debouncer = new Debouncer(opts.debounceMs, opts.maxDebounceMs, () => this.flush());
  }

  /** Resolves once the first complete snapshot was delivered (every informer listed once). */
  start(onSnapshot: (objects: ObjectSet) => void): Promise<void> {
    this.onSnapshot = onSnapshot;
    this.stopped = false;
    const created = this.addInformers(watchedKinds(this.opts.kubeConfig));
    const synced = new Promise<void>((resolve) => (this.firstSync = resolve));
    this.logger.info({ namespaces: this.opts.namespaces.length > 0 ? this.opts.namespaces : 'all', informers: this.informers.length }, 'starting informers');
    for (const inf of created) inf.start();
    this.discover(true);
    return synced;
  }

  private addInformers(kinds: readonly WatchedKind[]): RestartingInformer[] {
    const namespaces = this.opts.namespaces.length > 0 ? this.opts.namespaces : [undefined];
    const created: RestartingInformer[] = [];
    for (const kind of kinds) {
      for (const ns of kind.clusterScoped ? [undefined] : namespaces) {
        created.push(new RestartingInformer(this.opts.kubeConfig, kind, ns, () => this.debouncer.poke(), this.logger, this.opts.backoff ?? DEFAULT_BACKOFF));
      }
    }
    this.informers.push(...created);
    return created;
  }

  /**
   * The Gateway API CRDs are optional. Without them RAUTA serves Ingresses only, says so once, and
   * looks again every so often; when they appear it starts watching them (one more list, then the
   * next snapshot has them). A failed discovery is retried sooner and never taken for "absent".
   */
  private discover(first: boolean): void {
    if (this.stopped) return;
    const interval = this.opts.gatewayDiscoveryIntervalMs ?? DEFAULT_DISCOVERY_INTERVAL_MS;
    discoverGatewayApi(this.opts.kubeConfig).then(
      (resources) => {
        if (this.stopped) return;
        const before = this.gatewayApi;
        this.gatewayApi = resources;
        if (resources.length > 0) {
          const created = this.addInformers(gatewayKinds(this.opts.kubeConfig, resources));
          this.logger.info({ resources: resources.map((r) => `${r.kind}/${r.version}`) }, first ? 'Gateway API found: watching it' : 'Gateway API CRDs appeared: watching them');
          for (const inf of created) inf.start();
          return; // watched from now on; removal shows up as informer errors and retries
        }
        if (before === undefined) this.logger.info('Gateway API CRDs not installed: serving Ingress only (they are picked up when installed)');
        this.debouncer.poke();
        this.discoveryTimer = setTimeout(() => this.discover(false), interval);
        this.discoveryTimer.unref();
      },
      (err: unknown) => {
        if (this.stopped) return;
        this.logger.warn({ err: (err as Error).message }, 'Gateway API discovery failed; retrying');
        this.discoveryTimer = setTimeout(() => this.discover(first), Math.min(interval, (this.opts.backoff ?? DEFAULT_BACKOFF).maxMs));
        this.discoveryTimer.unref();
      },
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.discoveryTimer);
    this.debouncer.cancel();
    await Promise.all(this.informers.map((i) => i.stop()));
    this.firstSync?.();
  }

  /** The current ObjectSet from the caches (exposed for benchmarks and diagnostics). */
  snapshot(): ObjectSet {
    const of = (name: KindName) => this.informers.filter((i) => i.kind.name === name).flatMap((i) => i.objects());
    // Every snapshot sorts every object: each object's key is built once, not once per comparison.
    const keyOf = (o: { metadata: { namespace?: string; name: string } }) => {
      let key = sortKeys.get(o);
      if (key === undefined) {
        key = `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
        sortKeys.set(o, key);
      }
      return key;
    };
    const byKey = <T extends { metadata: { namespace?: string; name: string } }>(a: T, b: T) => {
      const ka = keyOf(a);
      const kb = keyOf(b);
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    };
    const ingresses = this.normalizers.ingresses.all(of('ingresses')).sort(byKey);
    const referenced = referencedSecrets(ingresses);
    const opaque = this.normalizers.opaqueSecrets.all(of('opaqueSecrets')).filter((s) => referenced.has(`${s.metadata.namespace ?? 'default'}/${s.metadata.name}`));
    return {
      ingresses,
      ingressClasses: this.normalizers.ingressClasses.all(of('ingressClasses')).sort(byKey),
      services: this.normalizers.services.all(of('services')).sort(byKey),
      endpointSlices: this.normalizers.endpointSlices.all(of('endpointSlices')).sort(byKey),
      secrets: [...this.normalizers.secrets.all(of('secrets')), ...opaque].sort(byKey),
      configMaps: this.normalizers.configMaps.all(of('configMaps')).sort(byKey),
      problems: [],
      ...(this.gatewayApi !== undefined && this.gatewayApi.length > 0 ? {
        gatewayClasses: this.normalizers.gatewayClasses.all(of('gatewayClasses')).sort(byKey),
        gateways: this.normalizers.gateways.all(of('gateways')).sort(byKey),
        httpRoutes: this.normalizers.httpRoutes.all(of('httpRoutes')).sort(byKey),
        grpcRoutes: this.normalizers.grpcRoutes.all(of('grpcRoutes')).sort(byKey),
        referenceGrants: this.normalizers.referenceGrants.all(of('referenceGrants')).sort(byKey),
        namespaces: this.normalizers.namespaces.all(of('namespaces')).sort(byKey),
      } : {}),
    };
  }

  private flush(): void {
    if (this.gatewayApi === undefined) return; // discovery pokes once it has answered
    if (!this.informers.every((i) => i.listed)) return; // the last informer to list pokes again
    const objects = this.snapshot();
    if (!this.synced) {
      this.synced = true;
      this.logger.info({ ingresses: objects.ingresses.length, services: objects.services.length, endpointSlices: objects.endpointSlices.length }, 'informers synced');
    }
    this.onSnapshot(objects);
    this.firstSync?.();
    this.firstSync = undefined;
  }
}
