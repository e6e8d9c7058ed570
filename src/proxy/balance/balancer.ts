import type { RouteTable } from '../../routing/route-table.ts';
import type { Backend, Endpoint, Route, RoutePolicy } from '../../routing/types.ts';
import { RoundRobin } from './round-robin.ts';
import type { PickInput, Selector } from './selector.ts';

/** Health as seen by selection: a read-only predicate (see proxy/health). */
export interface HealthView {
  isHealthy(endpoint: Endpoint): boolean;
}

export const alwaysHealthy: HealthView = { isHealthy: () => true };

export type SelectorFactory = (backend: Backend, policy: RoutePolicy) => Selector;

export const defaultSelectorFactory: SelectorFactory = (backend) => new RoundRobin(backend.endpoints.filter((e) => e.ready));

/**
 * Owns one Selector per (backend, policy) of the route table. Selectors are built when a table is
 * prepared, never on the request path, and a health change never rebuilds them. Routes and backends
 * are immutable, so a route's selector stays valid for as long as the route object exists: both maps
 * are weak, and a swap builds selectors only for route objects it has not seen — when translation hands
 * back unchanged routes as the same objects, one changed backend among 10,000 costs one selector.
 */
export class Balancer {
  private readonly byRoute = new WeakMap<Route, Selector>();
  /** Routes with the same backend and policy share a selector (one round-robin sequence, one Maglev table). */
  private readonly byBackend = new WeakMap<Backend, Map<string, Selector>>();
  private readonly factory: SelectorFactory;
  private readonly health: HealthView;

  constructor(factory: SelectorFactory = defaultSelectorFactory, health: HealthView = alwaysHealthy) {
    this.factory = factory;
    this.health = health;
  }

  /** Prepares and commits at once (tests, embedders without a RouteState). */
  useTable(table: RouteTable): void {
    this.prepare(table)();
  }

  /**
   * Builds the selectors of every route `table` has that no earlier table had (the costly, fallible
   * part). Nothing live changes: the old table's routes keep theirs, and the new routes are reachable
   * only once the table is swapped in, so the commit step has nothing left to do.
   */
  prepare(table: RouteTable): () => void {
    for (const route of table.routes) this.selectorFor(route);
    if (table.defaultRoute !== undefined) this.selectorFor(table.defaultRoute);
    return () => {};
  }

  private selectorFor(route: Route): Selector {
    let selector = this.byRoute.get(route);
    if (selector !== undefined) return selector;
    const policy = route.policy;
    const key = policy.hashBy === undefined ? policy.loadBalance : `${policy.loadBalance}|${JSON.stringify(policy.hashBy)}`;
    let shared = this.byBackend.get(route.backend);
    if (shared === undefined) {
      shared = new Map();
      this.byBackend.set(route.backend, shared);
    }
    selector = shared.get(key);
    if (selector === undefined) {
      selector = this.factory(route.backend, policy);
      shared.set(key, selector);
    }
    this.byRoute.set(route, selector);
    return selector;
  }

  /**
   * Picks a ready, healthy endpoint not in `tried`. If health has ejected every candidate, health is
   * ignored (panic mode) rather than failing the request.
   */
  pick(route: Route, input: PickInput, tried: ReadonlySet<string> | undefined): Endpoint | undefined {
    const selector = this.selectorFor(route);
    const health = this.health;
    const healthy = selector.pick(input, (ep) => ep.ready && !tried?.has(ep.key) && health.isHealthy(ep));
    if (healthy !== undefined) return healthy;
    return selector.pick(input, (ep) => ep.ready && !tried?.has(ep.key));
  }
}
