import { type KubeConfig, NetworkingV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { LoadBalancerIngress, ObjectSet } from '../sources/object-set.ts';
import { addressKey } from './addresses.ts';

export interface StatusChange {
  readonly namespace: string;
  readonly name: string;
  /** Empty: clear the status. */
  readonly addresses: readonly LoadBalancerIngress[];
}

/**
 * Which Ingresses need a status write. Ours get exactly the published addresses. An Ingress that is not
 * ours (any more) is cleared only when its status is exactly what we publish, i.e. we wrote it: another
 * controller's Ingress carries that controller's addresses and is never touched.
 */
export function statusChanges(objects: ObjectSet, served: ReadonlySet<string>, addresses: readonly LoadBalancerIngress[]): StatusChange[] {
  const wanted = addressKey(addresses);
  const changes: StatusChange[] = [];
  for (const ing of objects.ingresses) {
    const namespace = ing.metadata.namespace ?? 'default';
    const current = addressKey(ing.status?.loadBalancer?.ingress);
    if (served.has(`${namespace}/${ing.metadata.name}`)) {
      if (current !== wanted) changes.push({ namespace, name: ing.metadata.name, addresses });
    } else if (current !== '' && current === wanted) {
      changes.push({ namespace, name: ing.metadata.name, addresses: [] });
    }
  }
  return changes;
}

/** Applies status changes with JSON merge patches on the `/status` subresource. */
export class IngressStatusWriter {
  private readonly api: NetworkingV1Api;
  private readonly logger: Logger;

  constructor(kc: KubeConfig, logger: Logger) {
    this.api = kc.makeApiClient(NetworkingV1Api);
    this.logger = logger.child({ component: 'ingress-status' });
  }

  /** `stillAllowed` is asked before each write, so losing leadership stops the batch at once. */
  async apply(changes: readonly StatusChange[], stillAllowed: () => boolean): Promise<number> {
    let written = 0;
    for (const c of changes) {
      if (!stillAllowed()) break;
      const body = { status: { loadBalancer: { ingress: c.addresses.length > 0 ? c.addresses : null } } };
      try {
        await this.api.patchNamespacedIngressStatus({ name: c.name, namespace: c.namespace, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
        written++;
        this.logger.info({ ingress: `${c.namespace}/${c.name}`, addresses: c.addresses.map((a) => a.ip ?? a.hostname) }, c.addresses.length > 0 ? 'ingress status updated' : 'ingress status cleared');
      } catch (err) {
        // Not found: deleted meanwhile. Anything else: the next snapshot retries.
        this.logger.warn({ ingress: `${c.namespace}/${c.name}`, err: (err as Error).message }, 'ingress status update failed');
      }
    }
    return written;
  }
}
