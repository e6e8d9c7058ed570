import type { RouteTable } from '../../routing/route-table.ts';
import type { Backend, Endpoint } from '../../routing/types.ts';
import type { HealthView } from '../balance/balancer.ts';
import { ErrorKinds, type ErrorKind, type ProxyError } from '../errors.ts';
import { ActiveProber, type ProbeTarget } from './active.ts';
import { OutlierDetector, type PassiveOptions } from './passive.ts';
import type { EndpointHealth, HealthChangeEvent, HealthListener, HealthState } from './types.ts';

/** What the proxy reports after each upstream attempt (`ProxyDeps.health`). */
export interface AttemptOutcomeSink {
  attemptFinished(endpoint: Endpoint, error: ProxyError | undefined, statusCode: number | undefined): void;
}

export interface BackendHealthOptions extends PassiveOptions {
  readonly probeConcurrency: number;
  /**
   * false: this process runs no active probes; their results come from the process that does
   * (`setProbeResult`: data-plane workers get them from the primary, so each pod probes once).
   */
  readonly probes?: boolean;
  readonly random?: () => number;
}

/** Failures that say something about the endpoint (not about the client, nor about RAUTA). */
const ENDPOINT_FAILURES: ReadonlySet<ErrorKind> = new Set([
  ErrorKinds.upstreamConnect,
  ErrorKinds.upstreamConnectTimeout,
  ErrorKinds.upstreamReset,
  ErrorKinds.upstreamTimeout,
  ErrorKinds.upstreamProtocol,
]);

/**
 * Health of every endpoint in the route table: passive outlier detection (always on) and active probes
 * (where a route asks for them), folded into one read-only `HealthView` for the Balancer. Selection
 * never learns why an endpoint is out, and a health change never rebuilds a selector.
 */
export class BackendHealth implements HealthView, AttemptOutcomeSink {
  private readonly passive: OutlierDetector;
  private readonly active: ActiveProber;
  private readonly listeners: HealthListener[] = [];
  private readonly transitions = new Map<string, number>();
  private readonly lastState = new Map<string, HealthState>();
  /** Ready endpoints of every backend an endpoint key belongs to (for the ejection cap and events). */
  private membership = new Map<string, Backend[]>();
  /** The backends `membership` was made of (undefined before the first table). */
  private members: readonly Backend[] | undefined;
  private readonly probes: boolean;
  /** Endpoints another process's probes found unhealthy (when `probes` is false). */
  private readonly remoteUnhealthy = new Set<string>();

  constructor(opts: BackendHealthOptions) {
    this.probes = opts.probes !== false;
    this.passive = new OutlierDetector(opts, (key) => this.peersOf(key), (key, reason) => this.changed(key, reason));
    this.active = new ActiveProber({ concurrency: opts.probeConcurrency, random: opts.random }, (key, reason) => this.changed(key, reason));
  }

  /** Registers a state-change listener (logging, counting, NATS `rauta.backends`…). */
  onChange(listener: HealthListener): void {
    this.listeners.push(listener);
  }

  isHealthy(endpoint: Endpoint): boolean {
    return !this.passive.isEjected(endpoint.key) && !this.active.isUnhealthy(endpoint.key) && !this.remoteUnhealthy.has(endpoint.key);
  }

  state(key: string): HealthState {
    if (this.passive.isEjected(key)) return 'ejected';
    if (this.active.isUnhealthy(key) || this.remoteUnhealthy.has(key)) return 'unhealthy';
    return 'healthy';
  }

  status(key: string): EndpointHealth {
    return { health: this.state(key), ejectedUntil: this.passive.ejectedUntil(key), consecutiveFailures: this.passive.consecutiveFailures(key) };
  }

  /**
   * Endpoints whose state is anything but healthy with a clean record: everything else reads as
   * healthy, 0 failures (what a worker reports to the primary, instead of every endpoint).
   */
  notable(): Set<string> {
    return new Set([...this.passive.tracked(), ...this.lastState.keys(), ...this.remoteUnhealthy]);
  }

  /** Transition counts, keyed `old->new` (e.g. `healthy->ejected`). */
  counts(): Record<string, number> {
    return Object.fromEntries(this.transitions);
  }

  attemptFinished(endpoint: Endpoint, error: ProxyError | undefined, statusCode: number | undefined): void {
    if (error !== undefined) {
      // A client abort or a RAUTA-side error is no evidence against the endpoint.
      if (ENDPOINT_FAILURES.has(error.kind)) this.passive.record(endpoint.key, error.kind.code);
      return;
    }
    this.passive.record(endpoint.key, statusCode !== undefined && statusCode >= 500 ? `status ${statusCode}` : undefined);
  }

  /** Prepares and commits at once (tests). */
  useTable(table: RouteTable): void {
    this.prepare(table)();
  }

  /**
   * For every route-table swap: computes the new membership and probe set; the returned step makes them
   * live (probes updated, state of gone endpoints dropped).
   */
  prepare(table: RouteTable): () => void {
    const membership = this.membershipFor(table.backends);
    const targets = new Map<string, ProbeTarget>();
    const routes = table.defaultRoute ? [...table.routes, table.defaultRoute] : table.routes;
    for (const route of routes) {
      const check = route.policy.healthCheck;
      if (check === undefined) continue;
      for (const endpoint of route.backend.endpoints) {
        if (!endpoint.ready) continue;
        const id = `${endpoint.key}|${check.path}|${check.intervalMs}|${check.timeoutMs}|${check.healthyThreshold}|${check.unhealthyThreshold}`;
        targets.set(id, { endpoint, check });
      }
    }
    return () => {
      const keys = membership();
      if (this.probes) this.active.update(targets);
      this.passive.retain(keys);
      for (const key of [...this.lastState.keys()]) {
        if (!keys.has(key)) this.lastState.delete(key);
        // A route that stopped asking for health checks releases its endpoints: say so.
        else this.changed(key, 'health check configuration changed');
      }
    };
  }

  /**
   * The step that makes `backends` the membership. Backends are immutable: when few of them are new
   * objects (an EndpointSlice changed), only those and the ones they replace are moved in and out of
   * the live map at commit; otherwise it is built anew.
   */
  private membershipFor(backends: readonly Backend[]): () => Map<string, Backend[]> {
    const before = this.members;
    const change = before === undefined ? undefined : changedBackends(before, backends);
    if (change === undefined || change.added.length + change.removed.length > backends.length / 4) {
      const membership = new Map<string, Backend[]>();
      for (const backend of backends) join(membership, backend);
      return () => {
        this.membership = membership;
        this.members = backends;
        return membership;
      };
    }
    return () => {
      for (const backend of change.removed) leave(this.membership, backend);
      for (const backend of change.added) join(this.membership, backend);
      this.members = backends;
      return this.membership;
    };
  }

  /**
   * An active probe's verdict from the process that probes. Applied without telling the listeners:
   * that process logs, counts and publishes the transition once for the pod.
   */
  setProbeResult(key: string, unhealthy: boolean): void {
    if (unhealthy) this.remoteUnhealthy.add(key);
    else this.remoteUnhealthy.delete(key);
    const state = this.state(key);
    if (state === 'healthy') this.lastState.delete(key);
    else this.lastState.set(key, state);
  }

  /** Ends ejections whose time is over. Timers call it; tests with a fake clock call it themselves. */
  sweep(): void {
    this.passive.sweep();
  }

  stop(): void {
    this.active.stop();
    this.passive.stop();
  }

  private peersOf(key: string): Endpoint[][] {
    return (this.membership.get(key) ?? []).map((b) => b.endpoints.filter((e) => e.ready));
  }

  private changed(key: string, reason: string): void {
    const oldState = this.lastState.get(key) ?? 'healthy';
    const newState = this.state(key);
    if (newState === oldState) return;
    if (newState === 'healthy') this.lastState.delete(key);
    else this.lastState.set(key, newState);
    const transition = `${oldState}->${newState}`;
    this.transitions.set(transition, (this.transitions.get(transition) ?? 0) + 1);
    const at = new Date().toISOString();
    const seen = new Set<string>();
    for (const backend of this.membership.get(key) ?? []) {
      const service = `${backend.namespace}/${backend.service}`;
      if (seen.has(service)) continue;
      seen.add(service);
      const pod = backend.endpoints.find((e) => e.key === key)?.pod;
      const event: HealthChangeEvent = { endpoint: key, namespace: backend.namespace, service: backend.service, pod, oldState, newState, reason, at };
      for (const l of this.listeners) {
        // A listener (a publisher, say) must never break the request that reported the outcome.
        try {
          l(event);
        } catch {
          this.transitions.set('listener-error', (this.transitions.get('listener-error') ?? 0) + 1);
        }
      }
    }
  }
}

function join(membership: Map<string, Backend[]>, backend: Backend): void {
  for (const ep of backend.endpoints) {
    if (!ep.ready) continue;
    const list = membership.get(ep.key);
    if (list) list.push(backend);
    else membership.set(ep.key, [backend]);
  }
}

function leave(membership: Map<string, Backend[]>, backend: Backend): void {
  for (const ep of backend.endpoints) {
    if (!ep.ready) continue;
    const list = membership.get(ep.key);
    if (list === undefined) continue;
    const at = list.indexOf(backend);
    if (at !== -1) list.splice(at, 1);
    if (list.length === 0) membership.delete(ep.key);
  }
}

/** Backends in `after` that `before` did not have (by identity), and the reverse. */
function changedBackends(before: readonly Backend[], after: readonly Backend[]): { added: Backend[]; removed: Backend[] } {
  if (before.length === after.length) {
    // Tables list backends sorted by id: place by place is enough when only endpoints changed.
    const added: Backend[] = [];
    const removed: Backend[] = [];
    for (let i = 0; i < after.length; i++) {
      if (before[i] === after[i]) continue;
      added.push(after[i]);
      removed.push(before[i]);
    }
    return { added, removed };
  }
  const had = new Set(before);
  const has = new Set(after);
  return { added: after.filter((b) => !had.has(b)), removed: before.filter((b) => !has.has(b)) };
}
