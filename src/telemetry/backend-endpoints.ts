import type { HealthState } from '../proxy/health/types.ts';
import type { RouteTable } from '../routing/route-table.ts';
import type { ServiceEndpoints } from './sinks/metrics.ts';

/**
 * Per Service of the route table: its ready endpoints (`ip:port`, counted once even when several
 * Ingress paths or service ports reach it) and how many of them health has taken out of selection.
 * A Service the table routes to but cannot serve (unknown Service, bad port) reports 0 ready: its
 * paths answer 503, which is what `RautaNoReadyEndpoints` is for.
 */
export function serviceEndpoints(table: RouteTable, health: { state(key: string): HealthState }): ServiceEndpoints[] {
  const byService = new Map<string, { namespace: string; service: string; keys: Set<string> }>();
  const backends = table.defaultRoute ? [...table.backends, table.defaultRoute.backend] : table.backends;
  for (const b of backends) {
    const id = `${b.namespace}/${b.service}`;
    let entry = byService.get(id);
    if (entry === undefined) {
      entry = { namespace: b.namespace, service: b.service, keys: new Set() };
      byService.set(id, entry);
    }
    for (const ep of b.endpoints) if (ep.ready) entry.keys.add(ep.key);
  }
  return [...byService.values()].map(({ namespace, service, keys }) => {
    let ejected = 0;
    for (const k of keys) if (health.state(k) !== 'healthy') ejected++;
    return { namespace, service, ready: keys.size, ejected };
  });
}
