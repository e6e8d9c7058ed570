import type { Logger } from 'pino';
import type { Config } from '../config/settings.ts';
import { Balancer } from './balance/balancer.ts';
import { createSelectorFactory } from './balance/selector-factory.ts';
import { BackendHealth } from './health/backend-health.ts';
import type { HealthListener } from './health/types.ts';
import type { InFlight } from './in-flight.ts';
import type { RouteState } from '../routing/route-state.ts';

type BalancingConfig = Pick<Config,
  'maglevTableSize' | 'passiveFailureThreshold' | 'ejectionBaseSeconds' | 'maxEjectionSeconds' |
  'maxEjectionPercent' | 'healthCheckConcurrency' | 'retryBudgetSeconds'>;

export interface LoadBalancing {
  readonly balancer: Balancer;
  readonly health: BackendHealth;
  readonly retryBudgetMs: number;
  /** Adds a health state-change listener (NATS `rauta.backends`, metrics…). */
  onHealthChange(listener: HealthListener): void;
  stop(): void;
}

/**
 * Load balancing and health, wired: selectors per policy, passive + active health as the Balancer's
 * predicate, both refreshed on every route-table swap (before the table goes live). Every health
 * transition is logged and counted; more listeners can subscribe.
 */
export function startLoadBalancing(config: BalancingConfig, deps: { routes: RouteState; inFlight: InFlight; logger: Logger; probes?: boolean }): LoadBalancing {
  const logger = deps.logger.child({ component: 'health' });
  const health = new BackendHealth({
    failureThreshold: config.passiveFailureThreshold,
    baseEjectionMs: config.ejectionBaseSeconds * 1000,
    maxEjectionMs: config.maxEjectionSeconds * 1000,
    maxEjectionPercent: config.maxEjectionPercent,
    probeConcurrency: config.healthCheckConcurrency,
    probes: deps.probes,
  });
  health.onChange((e) => {
    const log = e.newState === 'healthy' ? logger.info.bind(logger) : logger.warn.bind(logger);
    log({ endpoint: e.endpoint, service: `${e.namespace}/${e.service}`, pod: e.pod, old_state: e.oldState, new_state: e.newState, reason: e.reason }, `endpoint ${e.newState}`);
  });
  const balancer = new Balancer(createSelectorFactory({ inFlight: deps.inFlight, maglevTableSize: config.maglevTableSize }), health);
  deps.routes.participate({
    name: 'load balancing',
    prepare({ table }) {
      const selectors = balancer.prepare(table);
      const membership = health.prepare(table);
      return () => {
        selectors();
        membership();
      };
    },
  });
  return {
    balancer,
    health,
    retryBudgetMs: config.retryBudgetSeconds * 1000,
    onHealthChange: (listener) => health.onChange(listener),
    stop: () => health.stop(),
  };
}
