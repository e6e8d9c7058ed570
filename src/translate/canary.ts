import type { HeaderCondition } from '../routing/conditions.ts';
import { normalizePrefix } from '../routing/path-index.ts';
import { type DiagnosticReason, Reasons } from '../routing/reasons.ts';
import type { Backend, Route } from '../routing/types.ts';
import type { Ingress, IngressBackend } from '../sources/object-set.ts';
import type { CanarySpec } from './nginx/registry.ts';

export interface CanaryIngress {
  readonly ing: Ingress;
  readonly spec: CanarySpec;
  readonly report: (severity: 'error' | 'warning', reason: DiagnosticReason, message: string, field?: string) => void;
}

const samePath = (a: Route, host: string, path: string, pathType: string) =>
  a.host === host && (a.pathType === 'Exact') === (pathType === 'Exact') &&
  (pathType === 'Exact' ? a.path === path : normalizePrefix(a.path) === normalizePrefix(path)) &&
  a.split === undefined && a.conditions === undefined;

/** The Cookie header carries `name=value` among other crumbs; RE2, whole-header match. */
function cookieCondition(name: string, value: string): HeaderCondition {
  const n = name.replaceAll('.', '\\.');
  return { name: 'cookie', type: 'RegularExpression', value: `(?:.*;\\s*)?${n}=${value}(?:;.*)?` };
}

/**
 * ingress-nginx canaries on RAUTA's route model: the canary Ingress's path becomes extra routes next to
 * the main Ingress's route for the same host and path — header and cookie rules as routes with match
 * conditions (more specific, so they win), the weight as a weighted split of the main route. The main
 * route's policy applies to both, as ingress-nginx applies the main Ingress's annotations to canaries.
 */
export function applyCanaries(routes: Route[], canaries: readonly CanaryIngress[], resolve: (namespace: string, ref: IngressBackend) => Backend): Set<Ingress> {
  const served = new Set<Ingress>();
  for (const { ing, spec, report } of canaries) {
    const namespace = ing.metadata.namespace ?? 'default';
    const ref = Object.freeze({ namespace, name: ing.metadata.name });
    (ing.spec?.rules ?? []).forEach((rule, r) => {
      const host = (rule.host ?? '').toLowerCase();
      (rule.http?.paths ?? []).forEach((p, i) => {
        const field = `spec.rules[${r}].http.paths[${i}]`;
        const path = p.path ?? '/';
        const pathType = p.pathType ?? 'Prefix';
        const at = routes.findIndex((x) => samePath(x, host, path, pathType));
        if (at === -1) {
          report('warning', Reasons.CanaryWithoutMain, `canary: no main Ingress serves ${host || '*'} ${path}; this path of the canary serves nothing`, field);
          return;
        }
        const svc = p.backend?.service;
        if (!svc?.name || !svc.port) {
          report('error', Reasons.InvalidBackend, 'backend needs service.name and service.port', `${field}.backend`);
          return;
        }
        const backend = resolve(namespace, p.backend);
        if (backend.unavailable) report('error', backend.unavailable.reason, `${backend.unavailable.message}; canary requests get 503`, `${field}.backend`);
        const main = routes[at];
        const canary = (extra: Partial<Route>): Route => Object.freeze({ ...main, ingress: ref, source: { kind: 'Ingress' as const, namespace, name: ing.metadata.name }, backend, ...extra });
        const toMain = (extra: Partial<Route>): Route => Object.freeze({ ...main, ...extra });
        const added: Route[] = [];
        if (spec.header !== undefined) {
          const h = spec.header;
          if (h.value !== undefined) added.push(canary({ conditions: { headers: [{ name: h.name, type: 'Exact', value: h.value }] } }));
          else if (h.pattern !== undefined) added.push(canary({ conditions: { headers: [{ name: h.name, type: 'RegularExpression', value: h.pattern }] } }));
          else {
            added.push(canary({ conditions: { headers: [{ name: h.name, type: 'Exact', value: 'always' }] } }));
            added.push(toMain({ conditions: { headers: [{ name: h.name, type: 'Exact', value: 'never' }] } }));
          }
        }
        if (spec.cookie !== undefined) {
          added.push(canary({ conditions: { headers: [cookieCondition(spec.cookie, 'always')] } }));
          added.push(toMain({ conditions: { headers: [cookieCondition(spec.cookie, 'never')] } }));
        }
        if (spec.weight > 0) {
          const group = `canary:${host}:${pathType}:${path}`;
          routes[at] = toMain({ split: { group, weight: spec.total - spec.weight } });
          added.push(canary({ split: { group, weight: spec.weight } }));
        }
        // Condition routes go first: on equal rank the earlier route is tried first (header before cookie).
        routes.splice(at, 0, ...added);
        served.add(ing);
      });
    });
  }
  return served;
}
