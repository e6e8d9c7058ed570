import type { Backend, RoutePolicy } from '../../routing/types.ts';
import type { SelectorFactory } from './balancer.ts';
import { type InFlightCounts, LeastRequest } from './least-request.ts';
import { DEFAULT_MAGLEV_TABLE_SIZE, MaglevSelector, MaglevTable } from './maglev.ts';
import { RoundRobin } from './round-robin.ts';

export interface SelectorFactoryOptions {
  readonly inFlight: InFlightCounts;
  readonly maglevTableSize?: number;
  /** Maglev tables kept for reuse across route-table swaps (keyed by endpoint set). */
  readonly maglevCacheSize?: number;
}

/**
 * Chooses the Selector for a backend by its route policy. Only ready endpoints enter a selector: a
 * `ready: false` (e.g. terminating) endpoint never gets a new request, while requests already sent to
 * it finish on their own connection.
 *
 * A route-table swap rebuilds every selector, but most swaps leave most endpoint sets unchanged, so
 * Maglev tables (the only costly build) are cached by their endpoint set and reused.
 */
export function createSelectorFactory(opts: SelectorFactoryOptions): SelectorFactory {
  const size = opts.maglevTableSize ?? DEFAULT_MAGLEV_TABLE_SIZE;
  const cacheSize = opts.maglevCacheSize ?? 256;
  const tables = new Map<string, MaglevTable>();

  const maglevTable = (backend: Backend): MaglevTable => {
    const ready = backend.endpoints.filter((e) => e.ready);
    const id = ready.map((e) => `${e.key}*${e.weight}`).sort().join(',');
    const cached = tables.get(id);
    if (cached) {
      // Refresh recency: Map iteration order is insertion order, so the oldest is evicted first.
      tables.delete(id);
      tables.set(id, cached);
      return cached.rebind(ready);
    }
    const table = MaglevTable.build(ready, size);
    tables.set(id, table);
    if (tables.size > cacheSize) tables.delete(tables.keys().next().value as string);
    return table;
  };

  return (backend: Backend, policy: RoutePolicy) => {
    switch (policy.loadBalance) {
      case 'maglev':
        return new MaglevSelector(maglevTable(backend), policy.hashBy);
      case 'least-request':
        return new LeastRequest(backend.endpoints.filter((e) => e.ready), opts.inFlight);
      default:
        return new RoundRobin(backend.endpoints.filter((e) => e.ready));
    }
  };
}
