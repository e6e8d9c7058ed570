import type { AccessOp, ClientCertOp } from '../routing/policy.ts';
import type { Route } from '../routing/types.ts';

/**
 * ingress-nginx's auth-tls-* is a server-level setting: the first Ingress (by age) that sets it for a
 * host decides it for every path of that host. Routes of the host from other Ingresses get the same
 * client-certificate op, so no path of a host that asks for a certificate is reachable without it.
 */
export function shareClientCertByHost(routes: readonly Route[]): Route[] {
  const byHost = new Map<string, ClientCertOp>();
  for (const r of routes) {
    const op = r.policy.traffic?.access.find((a): a is ClientCertOp => a.kind === 'client-cert');
    if (op !== undefined && r.host !== '' && !byHost.has(r.host)) byHost.set(r.host, op);
  }
  if (byHost.size === 0) return [...routes];
  return routes.map((r) => {
    const op = byHost.get(r.host);
    const traffic = r.policy.traffic;
    if (op === undefined) return r;
    const access: readonly AccessOp[] = traffic?.access ?? [];
    const others = access.filter((a) => a.kind !== 'client-cert');
    if (access.length - others.length === 1 && access.includes(op)) return r;
    const t = traffic ?? { access: [], request: [], upstream: [], response: [] };
    return Object.freeze({ ...r, policy: Object.freeze({ ...r.policy, traffic: Object.freeze({ ...t, access: Object.freeze([op, ...others]) }) }) });
  });
}
