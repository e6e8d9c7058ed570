import type { InFlightCounts } from '../proxy/balance/least-request.ts';
import type { EndpointHealth } from '../proxy/health/types.ts';
import type { RouteTable } from '../routing/route-table.ts';
import type { Backend, Route, RoutePolicy } from '../routing/types.ts';

export interface BackendsViewDeps {
  readonly health: { status(key: string): EndpointHealth };
  readonly inFlight: InFlightCounts;
}

function policyView(p: RoutePolicy | undefined) {
  if (p === undefined) return null;
  const hb = p.hashBy;
  return {
    load_balance: p.loadBalance,
    hash_by: hb === undefined ? null : hb.kind === 'header' || hb.kind === 'cookie' ? `${hb.kind}:${hb.name}` : hb.kind,
    retries: p.retries,
    health_check: p.healthCheck === undefined ? null : {
      path: p.healthCheck.path,
      interval_ms: p.healthCheck.intervalMs,
      timeout_ms: p.healthCheck.timeoutMs,
      healthy_threshold: p.healthCheck.healthyThreshold,
      unhealthy_threshold: p.healthCheck.unhealthyThreshold,
    },
  };
}

const routeName = (r: Route) => `${r.ingress.namespace}/${r.ingress.name} ${r.host || '*'} ${r.path}`;

/**
 * The JSON served at /backends: every backend of the route table with its routes and endpoints, each
 * endpoint's health and load. The web UI is built on this exact shape: add fields, never rename.
 * `policy` is the policy of the backend's first route (routes of different Ingresses may ask for
 * different policies; each route still gets its own).
 */
export function backendsView(table: RouteTable, deps: BackendsViewDeps) {
  const routes = table.defaultRoute ? [...table.routes, table.defaultRoute] : [...table.routes];
  const byBackend = new Map<string, Route[]>();
  for (const r of routes) {
    const list = byBackend.get(r.backend.id);
    if (list) list.push(r);
    else byBackend.set(r.backend.id, [r]);
  }
  return {
    backends: table.backends.map((b: Backend) => {
      const rs = byBackend.get(b.id) ?? [];
      return {
        id: b.id,
        namespace: b.namespace,
        service: b.service,
        service_port: b.servicePort,
        policy: policyView(rs[0]?.policy),
        routes: rs.map(routeName),
        endpoints: b.endpoints.map((e) => {
          const h = deps.health.status(e.key);
          return {
            key: e.key,
            ip: e.ip,
            port: e.port,
            pod: e.pod ?? null,
            node: e.node ?? null,
            zone: e.zone ?? null,
            ready: e.ready,
            terminating: e.terminating,
            health: h.health,
            ejected_until: h.ejectedUntil === undefined ? null : new Date(h.ejectedUntil).toISOString(),
            consecutive_failures: h.consecutiveFailures,
            in_flight: deps.inFlight.get(e.key),
          };
        }),
      };
    }),
  };
}
