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
 * Owns one Selector per (backend, policy) of the current route table. Selectors are built when a table
 * is applied, never on the request path, and a health change never rebuilds them.
 */
export class Balancer {
  private selectors = new Map<Route, Selector>();
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

  /** Builds every selector `table` needs (the costly, fallible part); the returned step makes them live. */
  prepare(table: RouteTable): () => void {
    const shared = new Map<string, Selector>();
    const next = new Map<Route, Selector>();
    const routes = table.defaultRoute ? [...table.routes, table.defaultRoute] : table.routes;
    for (const route of routes) {
      const key = `${route.backend.id}|${route.policy.loadBalance}|${JSON.stringify(route.policy.hashBy ?? null)}`;
      let selector = shared.get(key);
      if (!selector) {
        selector = this.factory(route.backend, route.policy);
        shared.set(key, selector);
      }
      next.set(route, selector);
    }
    return () => {
      this.selectors = next;
    };
  }

  /**
   * Picks a ready, healthy endpoint not in `tried`. If health has ejected every candidate, health is
   * ignored (panic mode) rather than failing the request.
   */
  pick(route: Route, input: PickInput, tried: ReadonlySet<string> | undefined): Endpoint | undefined {
    const selector = this.selectors.get(route) ?? this.factory(route.backend, route.policy);
    const health = this.health;
    const healthy = selector.pick(input, (ep) => ep.ready && !tried?.has(ep.key) && health.isHealthy(ep));
    if (healthy !== undefined) return healthy;
    return selector.pick(input, (ep) => ep.ready && !tried?.has(ep.key));
  }
}
