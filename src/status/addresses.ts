import { isIP } from 'node:net';
import type { LoadBalancerIngress, ObjectSet } from '../sources/object-set.ts';

/** What RAUTA publishes in Ingress status: fixed addresses, or the LoadBalancer Service in front of it. */
export type AddressSource =
  | { readonly kind: 'static'; readonly addresses: readonly LoadBalancerIngress[] }
  | { readonly kind: 'service'; readonly namespace: string; readonly name: string };

export function addressSource(publishStatusAddress: readonly string[], publishService: string | undefined): AddressSource | undefined {
  if (publishStatusAddress.length > 0) {
    return { kind: 'static', addresses: publishStatusAddress.map((a) => (isIP(a) ? { ip: a } : { hostname: a })) };
  }
  if (publishService !== undefined) {
    const [namespace, name] = publishService.split('/');
    return { kind: 'service', namespace, name };
  }
  return undefined;
}

/** The addresses to publish now; undefined when the publish Service is not (yet) known. */
export function resolveAddresses(source: AddressSource, objects: ObjectSet): LoadBalancerIngress[] | undefined {
  if (source.kind === 'static') return [...source.addresses];
  const svc = objects.services.find((s) => s.metadata.name === source.name && (s.metadata.namespace ?? 'default') === source.namespace);
  if (!svc) return undefined;
  return (svc.status?.loadBalancer?.ingress ?? []).map((i) => (i.ip ? { ip: i.ip } : { hostname: i.hostname }));
}

/** Order-insensitive identity of an address list. */
export function addressKey(list: readonly LoadBalancerIngress[] | undefined): string {
  return (list ?? []).map((i) => `${i.ip ?? ''}|${i.hostname ?? ''}`).sort().join(',');
}
