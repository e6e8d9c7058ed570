import { RE2JS } from 're2js';
import type { HeaderCondition, QueryCondition, RouteConditions, RouteKind } from '../../routing/conditions.ts';
import { type Phase, type PolicyOp, buildPolicy } from '../../routing/policy.ts';
import type { Backend, PathType, Route, RoutePolicy } from '../../routing/types.ts';
import type { GRPCRouteMatch, HTTPRouteFilter, HTTPRouteMatch, HTTPBackendRef, StringMatchSpec } from '../../sources/gateway-objects.ts';
import { DEFAULT_POLICY } from '../annotations.ts';
import type { Attachment } from './attach.ts';
import { type BackendRefContext, type ResolvedRef, resolveBackendRef } from './backend-refs.ts';
import { parseDuration, translateFilters } from './filters.ts';
import { HTTP_METHODS, isRecord, list, str, validHeaderName } from './values.ts';

/** A rule's match in the route-table vocabulary (path + conditions). */
export interface TableMatch {
  readonly path: string;
  readonly pathType: PathType;
  /** As the API named it (PathPrefix…), for the filters that depend on it. */
  readonly apiPathType: string;
  readonly conditions: Omit<RouteConditions, 'scheme'>;
}

/** What one rule produced, and what it found wrong (for status and diagnostics). */
export interface RuleOutcome {
  readonly routes: Route[];
  /** Accepted=False UnsupportedValue reasons. */
  readonly unsupported: string[];
  /** ResolvedRefs=False: the first reason wins in status. */
  readonly refProblems: { reason: string; message: string }[];
}

export interface RuleInput {
  readonly kind: Exclude<RouteKind, 'Ingress'>;
  readonly namespace: string;
  readonly name: string;
  readonly index: number;
  readonly ruleName: string | undefined;
  readonly matches: readonly TableMatch[];
  readonly filters: readonly HTTPRouteFilter[];
  readonly backendRefs: readonly HTTPBackendRef[];
  readonly timeouts: { request?: string; backendRequest?: string } | undefined;
  readonly attachments: readonly Attachment[];
}

const regexOk = (pattern: string): boolean => {
  try {
    RE2JS.compile(pattern);
    return true;
  } catch {
    return false;
  }
};

function stringMatches(specs: readonly StringMatchSpec[], what: string, lower: boolean, bad: (m: string) => void): { name: string; type: 'Exact' | 'RegularExpression'; value: string }[] {
  const out: { name: string; type: 'Exact' | 'RegularExpression'; value: string }[] = [];
  const seen = new Set<string>();
  for (const s of specs) {
    const rawName = isRecord(s) ? str(s.name) : undefined;
    const value = isRecord(s) ? str(s.value) : undefined;
    const type = (isRecord(s) ? str(s.type) : undefined) ?? 'Exact';
    if (rawName === undefined || rawName === '' || (what === 'header' && !validHeaderName(rawName)) || value === undefined) {
      bad(`${what} match needs a name and a value`);
      continue;
    }
    if (type !== 'Exact' && type !== 'RegularExpression') {
      bad(`${what} match type ${type} is not Exact or RegularExpression`);
      continue;
    }
    if (type === 'RegularExpression' && !regexOk(value)) {
      bad(`${what} ${rawName}: ${JSON.stringify(value)} is not an RE2 regular expression`);
      continue;
    }
    const name = lower ? rawName.toLowerCase() : rawName;
    // The spec: when a name repeats, only its first match counts.
    if (seen.has(name)) continue;
    seen.add(name);
    out.push({ name, type, value });
  }
  return out;
}

/** HTTPRouteMatch → TableMatch; undefined (with the reason reported) when it cannot be honoured. */
export function httpMatch(m: HTTPRouteMatch, bad: (msg: string) => void): TableMatch | undefined {
  const before = { count: 0 };
  const report = (msg: string) => {
    before.count++;
    bad(msg);
  };
  const pathSpec = isRecord(m?.path) ? m.path : {};
  const apiPathType = str(pathSpec.type) ?? 'PathPrefix';
  const path = str(pathSpec.value) ?? '/';
  let pathType: PathType;
  if (apiPathType === 'Exact' || apiPathType === 'PathPrefix') {
    if (!path.startsWith('/') || /[\r\n\0?#]/.test(path) || path.includes('//') || /\/\.\.?(\/|$)/.test(path)) report(`path ${JSON.stringify(path)} must be an absolute path without //, /./, /../, ? or #`);
    pathType = apiPathType === 'Exact' ? 'Exact' : 'Prefix';
  } else if (apiPathType === 'RegularExpression') {
    if (!regexOk(path)) report(`path ${JSON.stringify(path)} is not an RE2 regular expression`);
    pathType = 'RegularExpression';
  } else {
    report(`path match type ${apiPathType} is not Exact, PathPrefix or RegularExpression`);
    pathType = 'Prefix';
  }
  const headers: HeaderCondition[] = stringMatches(list(m?.headers), 'header', true, report);
  const query: QueryCondition[] = stringMatches(list(m?.queryParams), 'query parameter', false, report);
  let method: string | undefined;
  if (m?.method !== undefined) {
    method = str(m.method);
    if (method === undefined || !HTTP_METHODS.has(method)) report(`method ${String(m.method)} is not an HTTP method`);
  }
  if (before.count > 0) return undefined;
  return { path, pathType, apiPathType, conditions: { ...(method !== undefined ? { method } : {}), ...(headers.length ? { headers } : {}), ...(query.length ? { query } : {}) } };
}

const GRPC_NAME = /^[A-Za-z_][A-Za-z_0-9]*(\.[A-Za-z_][A-Za-z_0-9]*)*$/;
const GRPC_METHOD = /^[A-Za-z_][A-Za-z_0-9]*$/;

/**
 * GRPCRouteMatch → TableMatch: a gRPC call is `POST /<service>/<method>`, so service and method become
 * a path (Exact for both, Prefix for a service alone, a regex otherwise).
 */
export function grpcMatch(m: GRPCRouteMatch, bad: (msg: string) => void): TableMatch | undefined {
  let failed = false;
  const report = (msg: string) => {
    failed = true;
    bad(msg);
  };
  const spec = isRecord(m?.method) ? m.method : undefined;
  const type = str(spec?.type) ?? 'Exact';
  const service = str(spec?.service);
  const method = str(spec?.method);
  let path = '/';
  let pathType: PathType = 'Prefix';
  if (type === 'Exact') {
    if (service !== undefined && !GRPC_NAME.test(service)) report(`service ${service} is not a gRPC service name`);
    if (method !== undefined && !GRPC_METHOD.test(method)) report(`method ${method} is not a gRPC method name`);
    if (service !== undefined && method !== undefined) {
      path = `/${service}/${method}`;
      pathType = 'Exact';
    } else if (service !== undefined) {
      path = `/${service}`;
      pathType = 'Prefix';
    } else if (method !== undefined) {
      path = `/[^/]+/${RE2JS.quote(method)}`;
      pathType = 'RegularExpression';
    }
  } else if (type === 'RegularExpression') {
    if (service !== undefined && !regexOk(service)) report(`service ${service} is not an RE2 regular expression`);
    if (method !== undefined && !regexOk(method)) report(`method ${method} is not an RE2 regular expression`);
    path = `/(?:${service ?? '[^/]+'})/(?:${method ?? '[^/]+'})`;
    pathType = 'RegularExpression';
  } else {
    report(`method match type ${type} is not Exact or RegularExpression`);
  }
  const headers: HeaderCondition[] = stringMatches(list(m?.headers), 'header', true, report);
  if (failed) return undefined;
  return { path, pathType, apiPathType: pathType === 'Prefix' ? 'PathPrefix' : pathType, conditions: headers.length ? { headers } : {} };
}

/** A backend for rules with nothing to forward to: 500, as the spec asks. */
function noBackend(namespace: string, name: string, rule: string, message: string): Backend {
  return Object.freeze({
    id: `${namespace}/${name}#${rule}`, namespace, service: '', servicePort: '', endpoints: Object.freeze([]),
    unavailable: Object.freeze({ reason: 'BackendNotFound' as const, message, status: 500 as const }),
  });
}

function policyFor(base: RoutePolicy, ops: readonly { op: PolicyOp; phase?: Phase }[], protocol: RoutePolicy['protocol']): RoutePolicy {
  return Object.freeze({ ...base, protocol, sslRedirect: false, traffic: buildPolicy(ops) });
}

/**
 * One rule → routes: for every listener it attached to, every host there, and every match, one
 * route per backendRef (a weighted group when there are several). Rules that cannot be served as
 * written answer 500 rather than being skipped silently, so a client sees the problem.
 */
export function ruleRoutes(input: RuleInput, ctx: BackendRefContext): RuleOutcome {
  const unsupported: string[] = [];
  const refProblems: { reason: string; message: string }[] = [];
  const rule = input.ruleName ?? String(input.index);
  const source = Object.freeze({ kind: input.kind, namespace: input.namespace, name: input.name, rule });
  const ingress = Object.freeze({ namespace: input.namespace, name: input.name });
  const defaultProtocol: RoutePolicy['protocol'] = input.kind === 'GRPCRoute' ? 'grpc' : 'http1';

  const timeoutOps: { op: PolicyOp; phase?: Phase }[] = [];
  if (input.timeouts !== undefined && isRecord(input.timeouts)) {
    const requestMs = input.timeouts.request === undefined ? undefined : parseDuration(input.timeouts.request);
    const backendMs = input.timeouts.backendRequest === undefined ? undefined : parseDuration(input.timeouts.backendRequest);
    if (input.timeouts.request !== undefined && requestMs === undefined) unsupported.push(`timeouts.request ${String(input.timeouts.request)} is not a duration`);
    if (input.timeouts.backendRequest !== undefined && backendMs === undefined) unsupported.push(`timeouts.backendRequest ${String(input.timeouts.backendRequest)} is not a duration`);
    if (requestMs !== undefined && backendMs !== undefined && requestMs !== 0 && backendMs > requestMs) unsupported.push('timeouts.backendRequest must not exceed timeouts.request');
    // 0 means "no timeout" in the spec. The data plane enforces the tighter of the two as the time the
    // backend has to start answering (and the longest pause while it answers): what both conformance
    // tests (HTTPRouteRequestTimeout, HTTPRouteBackendTimeout) check. requestMs is kept in the op as well.
    const limits = [requestMs, backendMs].filter((v): v is number => v !== undefined && v > 0);
    const op = { kind: 'timeouts' as const, ...(requestMs ? { requestMs } : {}), ...(limits.length > 0 ? { readMs: Math.min(...limits) } : {}) };
    if (limits.length > 0) timeoutOps.push({ op });
  }

  const routes: Route[] = [];
  const resolved: ResolvedRef[] = input.backendRefs.map((ref) => resolveBackendRef(ref, input.kind, input.namespace, ctx));
  for (const r of resolved) if (r.problem !== undefined) refProblems.push(r.problem);
  const seen = new Set<string>();

  input.matches.forEach((match, m) => {
    const ruleFilters = translateFilters(input.filters, { ...ctx, routeKind: input.kind, routeNamespace: input.namespace, pathType: match.apiPathType });
    if (m === 0) {
      unsupported.push(...ruleFilters.unsupported);
      refProblems.push(...ruleFilters.refProblems);
    }
    const baseOps = [...ruleFilters.ops, ...timeoutOps];
    // Per-backendRef filters run after the rule's own.
    const perRef = resolved.map((r, j) => {
      const f = translateFilters(list(input.backendRefs[j].filters), { ...ctx, routeKind: input.kind, routeNamespace: input.namespace, pathType: match.apiPathType });
      if (m === 0) {
        unsupported.push(...f.unsupported.map((u) => `backendRefs[${j}].${u}`));
        refProblems.push(...f.refProblems);
      }
      return { ...r, ops: [...baseOps, ...f.ops], broken: f.unsupported.length > 0 };
    });
    const total = perRef.reduce((sum, r) => sum + r.weight, 0);

    for (const att of input.attachments) {
      const scheme = att.listener.protocol === 'HTTPS' ? 'https' : 'http';
      for (const host of att.hosts) {
        const key = `${scheme}|${host}|${m}`;
        if (seen.has(key)) continue; // the same route on two listeners of one kind (ports 80 and 8080)
        seen.add(key);
        const conditions: RouteConditions = Object.freeze({ ...match.conditions, scheme });
        const base = { ingress, source, host, path: match.path, pathType: match.pathType, tls: false, conditions };
        const broken = ruleFilters.unsupported.length > 0;
        if (broken || ruleFilters.answers || perRef.length === 0 || total === 0) {
          // A redirect answers by itself; otherwise no usable backend (or a filter we cannot honour) → 500.
          const message = broken ? `rule ${rule} of ${input.kind} ${input.namespace}/${input.name} uses a filter RAUTA cannot honour`
            : perRef.length === 0 ? `rule ${rule} of ${input.kind} ${input.namespace}/${input.name} has no backendRefs`
              : `every backendRef of rule ${rule} of ${input.kind} ${input.namespace}/${input.name} has weight 0`;
          const backend = noBackend(input.namespace, input.name, rule, message);
          const ops = broken ? [] : baseOps;
          routes.push(Object.freeze({ ...base, backend, policy: policyFor(DEFAULT_POLICY, ops, defaultProtocol) }));
          continue;
        }
        const group = perRef.length > 1 ? `${input.kind}/${input.namespace}/${input.name}/${rule}/${m}/${scheme}/${host}` : undefined;
        for (const r of perRef) {
          if (group === undefined && r.weight === 0) continue;
          const backend = r.broken ? noBackend(input.namespace, input.name, rule, `a backendRef filter of rule ${rule} cannot be honoured`) : r.backend;
          const protocol = r.protocol ?? defaultProtocol;
          routes.push(Object.freeze({
            ...base, backend, policy: policyFor(DEFAULT_POLICY, r.broken ? [] : r.ops, protocol),
            ...(group !== undefined ? { split: Object.freeze({ group, weight: r.weight }) } : {}),
          }));
        }
      }
    }
  });
  return { routes, unsupported, refProblems };
}
