import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ObjectSet, Source } from '../object-set.ts';
import { Debouncer } from './debounce.ts';
import { type KindName, watchedKinds } from './kinds.ts';
import { Normalizer, toEndpointSlice, toIngress, toIngressClass, toSecret, toService } from './normalize.ts';
import { type Backoff, DEFAULT_BACKOFF, RestartingInformer } from './restarting-informer.ts';

export interface KubernetesSourceOptions {
  readonly kubeConfig: KubeConfig;
  /** Empty: every namespace. */
  readonly namespaces: readonly string[];
  readonly debounceMs: number;
  readonly maxDebounceMs: number;
  readonly logger: Logger;
  readonly backoff?: Backoff;
}

/**
 * Kubernetes mode: one informer per watched kind (per namespace when RAUTA_WATCH_NAMESPACE is set;
 * IngressClasses are cluster-scoped). Level-triggered, as in Traefik and Contour: an event only marks the
 * configuration dirty; after the debounce the whole ObjectSet is rebuilt from the informer caches and
 * emitted. Nothing is emitted before every informer has listed once. While the API server is down the
 * informers retry and nothing is emitted, so the last route table keeps serving.
 */
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
  };
  synced = false;

  constructor(opts: KubernetesSourceOptions) {
    this.opts = opts;
    this.logger = opts.logger.child({ source: 'kubernetes' });
    this.debouncer = new Debouncer(opts.debounceMs, opts.maxDebounceMs, () => this.flush());
  }

  /** Resolves once the first complete snapshot was delivered (every informer listed once). */
  start(onSnapshot: (objects: ObjectSet) => void): Promise<void> {
    this.onSnapshot = onSnapshot;
    const namespaces = this.opts.namespaces.length > 0 ? this.opts.namespaces : [undefined];
    for (const kind of watchedKinds(this.opts.kubeConfig)) {
      for (const ns of kind.clusterScoped ? [undefined] : namespaces) {
        this.informers.push(new RestartingInformer(this.opts.kubeConfig, kind, ns, () => this.debouncer.poke(), this.logger, this.opts.backoff ?? DEFAULT_BACKOFF));
      }
    }
    const synced = new Promise<void>((resolve) => (this.firstSync = resolve));
    this.logger.info({ namespaces: this.opts.namespaces.length > 0 ? this.opts.namespaces : 'all', informers: this.informers.length }, 'starting informers');
    for (const inf of this.informers) inf.start();
    return synced;
  }

  async stop(): Promise<void> {
    this.debouncer.cancel();
    await Promise.all(this.informers.map((i) => i.stop()));
    this.firstSync?.();
  }

  /** The current ObjectSet from the caches (exposed for benchmarks and diagnostics). */
  snapshot(): ObjectSet {
    const of = (name: KindName) => this.informers.filter((i) => i.kind.name === name).flatMap((i) => i.objects());
    const byKey = <T extends { metadata: { namespace?: string; name: string } }>(a: T, b: T) => {
      const ka = `${a.metadata.namespace ?? ''}/${a.metadata.name}`;
      const kb = `${b.metadata.namespace ?? ''}/${b.metadata.name}`;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    };
    return {
      ingresses: this.normalizers.ingresses.all(of('ingresses')).sort(byKey),
      ingressClasses: this.normalizers.ingressClasses.all(of('ingressClasses')).sort(byKey),
      services: this.normalizers.services.all(of('services')).sort(byKey),
      endpointSlices: this.normalizers.endpointSlices.all(of('endpointSlices')).sort(byKey),
      secrets: this.normalizers.secrets.all(of('secrets')).sort(byKey),
      problems: [],
    };
  }

  private flush(): void {
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
