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

/** A selector and the backend it was built for. */
interface Built {
  readonly backend: Backend;
  readonly selector: Selector;
}

/**
 * Owns one Selector per (backend, policy) of the current route table. Selectors are built when a table
 * is applied, never on the request path, and a health change never rebuilds them. A swap keeps the
 * selector (and its state: round-robin position, Maglev table) of every backend whose endpoints did not
 * change, so a table with 10,000 backends where one changed builds one selector.
 */
export class Balancer {
  private selectors = new Map<Route, Selector>();
  private built = new Map<string, Built>();
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
    const previous = this.built;
    const built = new Map<string, Built>();
    const next = new Map<Route, Selector>();
    const add = (route: Route) => {
      const policy = route.policy;
      const key = policy.hashBy === undefined ? `${route.backend.id}|${policy.loadBalance}` : `${route.backend.id}|${policy.loadBalance}|${JSON.stringify(policy.hashBy)}`;
      let b = built.get(key);
      if (b === undefined) {
        const old = previous.get(key);
        b = old !== undefined && sameEndpoints(old.backend, route.backend) ? old : { backend: route.backend, selector: this.factory(route.backend, policy) };
        built.set(key, b);
      }
      next.set(route, b.selector);
    };
    for (const route of table.routes) add(route);
    if (table.defaultRoute !== undefined) add(table.defaultRoute);
    return () => {
      this.selectors = next;
      this.built = built;
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

/**
 * Selectors depend on the endpoints only: the same object, or equal endpoints in the same order (every
 * field: a selector hands out its Endpoint objects, and events name their pod).
 */
function sameEndpoints(a: Backend, b: Backend): boolean {
  if (a === b || a.endpoints === b.endpoints) return true;
  const x = a.endpoints;
  const y = b.endpoints;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    const p = x[i];
    const q = y[i];
    if (p !== q && !sameEndpoint(p, q)) return false;
  }
  return true;
}

function sameEndpoint(p: Endpoint, q: Endpoint): boolean {
  return p.key === q.key && p.ready === q.ready && p.serving === q.serving && p.terminating === q.terminating && p.weight === q.weight &&
    p.pod === q.pod && p.podUid === q.podUid && p.node === q.node && p.zone === q.zone;
}
