import type { RouteTable } from '../routing/route-table.ts';
import { isEmptyPolicy } from '../routing/policy.ts';
import { trafficView } from './traffic-view.ts';
import type { Route } from '../routing/types.ts';

export function routeView(r: Route) {
  const c = r.conditions;
  const traffic = r.policy.traffic;
  return {
    /** Namespace/name of the object the route came from; `kind` says which API (Ingress unless set). */
    ingress: `${r.ingress.namespace}/${r.ingress.name}`,
    kind: r.source?.kind ?? 'Ingress',
    rule: r.source?.rule,
    host: r.host || '*',
    path: r.path,
    path_type: r.pathType,
    match: c === undefined ? undefined : {
      listener: c.scheme,
      method: c.method,
      headers: c.headers?.map((h) => `${h.name} ${h.type === 'Exact' ? '=' : '~'} ${h.value}`),
      query: c.query?.map((q) => `${q.name} ${q.type === 'Exact' ? '=' : '~'} ${q.value}`),
    },
    weight: r.split?.weight,
    tls: r.tls,
    backend: {
      service: `${r.backend.namespace}/${r.backend.service}`,
      port: r.backend.servicePort,
      ready_endpoints: r.backend.endpoints.filter((e) => e.ready).length,
      endpoints: r.backend.endpoints.length,
      unavailable: r.backend.unavailable?.message,
    },
    policy: {
      load_balance: r.policy.loadBalance,
      hash_by: r.policy.hashBy ? (r.policy.hashBy.kind === 'header' || r.policy.hashBy.kind === 'cookie' ? `${r.policy.hashBy.kind}:${r.policy.hashBy.name}` : r.policy.hashBy.kind) : undefined,
      retries: r.policy.retries,
      backend_protocol: r.policy.protocol,
      traffic: traffic !== undefined && !isEmptyPolicy(traffic) ? trafficView(traffic) : undefined,
    },
  };
}

/** The JSON served at /routes: the route table as an operator reads it, with every diagnostic. */
export function routesView(table: RouteTable, meta: { fingerprint: string; appliedAt: string | undefined }) {
  return {
    fingerprint: meta.fingerprint,
    applied_at: meta.appliedAt,
    ingresses: table.ingresses,
    routes: table.routes.map(routeView),
    default_backend: table.defaultRoute ? routeView(table.defaultRoute) : null,
    certificates: table.certificates.map((c) => ({ secret: c.id, hosts: c.hosts })),
    gateway_api: table.gatewayStatus,
    diagnostics: table.diagnostics.map((d) => ({
      ingress: d.ingress ? `${d.namespace}/${d.ingress}` : undefined,
      kind: d.kind,
      severity: d.severity,
      reason: d.reason,
      message: d.message,
      field: d.field,
    })),
  };
}
