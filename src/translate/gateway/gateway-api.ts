import type { GatewayStatusReport, GatewayStatusEntry, RouteParentStatusEntry, RouteStatusEntry, StatusCondition } from '../../routing/gateway-status.ts';
import { type DiagnosticReason, Reasons } from '../../routing/reasons.ts';
import type { Diagnostic, Route, TlsCertificate } from '../../routing/types.ts';
import type { GRPCRoute, HTTPRoute } from '../../sources/gateway-objects.ts';
import type { ObjectSet, Service } from '../../sources/object-set.ts';
import type { CertificateResult } from '../tls.ts';
import type { BackendResolver } from '../backends.ts';
import { type Attachment, type ParentResult, attach, isGatewayRef, routeHostnames } from './attach.ts';
import { type GatewayInfo, type ListenerInfo, listenerStatusOf, ourClasses, readGateway } from './listeners.ts';
import { ReferenceGrants, namespaceLabels } from './references.ts';
import { GatewayReporter } from './report.ts';
import { type TableMatch, grpcMatch, httpMatch, ruleRoutes } from './rules.ts';
import { byAge, cond, list, nsOf, str } from './values.ts';

export interface GatewayApiOptions {
  /** GatewayClasses with this spec.controllerName are ours (RAUTA_GATEWAY_CONTROLLER_NAME). */
  readonly gatewayControllerName: string;
}

export interface GatewayApiDeps {
  readonly resolver: BackendResolver;
  /** Reads and checks a `namespace/name` TLS Secret (shared with the Ingress translation's cache). */
  readonly readSecret: (ref: string) => CertificateResult;
}

export interface GatewayTranslation {
  readonly routes: readonly Route[];
  readonly certificates: readonly TlsCertificate[];
  readonly diagnostics: readonly Diagnostic[];
  /** Undefined when the Gateway API is not in play (no CRDs, or no Gateway API object at all). */
  readonly status: GatewayStatusReport | undefined;
}

type AnyRoute = { kind: 'HTTPRoute'; obj: HTTPRoute } | { kind: 'GRPCRoute'; obj: GRPCRoute };

/**
 * Gateway API objects → routes on the same table as Ingresses, plus the status each object should
 * show. Pure and deterministic like the Ingress translation; a broken route, listener or Gateway
 * costs only itself, and says why in its status and in a diagnostic.
 */
export function translateGatewayApi(objects: ObjectSet, opts: GatewayApiOptions, deps: GatewayApiDeps): GatewayTranslation {
  if (list(objects.gatewayClasses).length + list(objects.gateways).length + list(objects.httpRoutes).length + list(objects.grpcRoutes).length === 0) {
    return { routes: [], certificates: [], diagnostics: [], status: undefined };
  }
  const report = new GatewayReporter();
  const grants = new ReferenceGrants(list(objects.referenceGrants));
  const labels = namespaceLabels(list(objects.namespaces));
  const services = new Map<string, Service>(objects.services.map((s) => [`${nsOf(s.metadata)}/${s.metadata.name}`, s]));
  const certificates: TlsCertificate[] = [];
  const classes = ourClasses(list(objects.gatewayClasses), opts.gatewayControllerName);

  const gateways = new Map<string, GatewayInfo>();
  for (const gw of [...list(objects.gateways)].sort(byAge)) {
    if (!classes.names.has(str(gw.spec?.gatewayClassName) ?? '')) continue;
    gateways.set(`${nsOf(gw.metadata)}/${gw.metadata.name}`, readGateway(gw, { readSecret: deps.readSecret, grants, certificates, report }));
  }

  const all: AnyRoute[] = [
    ...[...list(objects.httpRoutes)].sort(byAge).map((obj) => ({ kind: 'HTTPRoute' as const, obj })),
    ...[...list(objects.grpcRoutes)].sort(byAge).map((obj) => ({ kind: 'GRPCRoute' as const, obj })),
  ];
  const routes: Route[] = [];
  const routeStatus: RouteStatusEntry[] = [];
  const ctx = { resolver: deps.resolver, services, grants };

  for (const r of all) {
    const namespace = nsOf(r.obj.metadata);
    const name = r.obj.metadata.name;
    const diag = report.forObject(r.kind, namespace, name);
    const { hosts, invalid } = routeHostnames(list(r.obj.spec?.hostnames as unknown[] | undefined));
    const unsupported: string[] = invalid.map((h) => `hostname ${JSON.stringify(h)} is not a DNS name or *.wildcard`);

    const parents: ParentResult[] = [];
    for (const ref of list(r.obj.spec?.parentRefs)) {
      if (!isGatewayRef(ref)) continue;
      const gw = gateways.get(`${str(ref.namespace) ?? namespace}/${str(ref.name) ?? ''}`);
      if (gw === undefined) continue; // not a Gateway of ours: its controller writes that status
      parents.push(attach(ref, gw, { kind: r.kind, namespace, hosts }, labels));
    }
    if (parents.length === 0) continue;

    const attachments = dedupe(parents.flatMap((p) => p.attachments));
    const served = attachments.filter((a) => a.listener.usable);
    const refProblems: { reason: string; message: string }[] = [];
    list(r.obj.spec?.rules as unknown[] | undefined).forEach((raw, index) => {
      const rule = (raw ?? {}) as NonNullable<HTTPRoute['spec']>['rules'] extends (infer T)[] | undefined ? T : never;
      const bad = (m: string) => unsupported.push(`rules[${index}]: ${m}`);
      const specs = list(rule.matches as unknown[] | undefined);
      const matches: TableMatch[] = [];
      for (const m of specs.length > 0 ? specs : [{}]) {
        const match = r.kind === 'HTTPRoute' ? httpMatch(m as never, bad) : grpcMatch(m as never, bad);
        if (match !== undefined) matches.push(match);
      }
      const outcome = ruleRoutes({
        kind: r.kind, namespace, name, index, ruleName: str(rule.name), matches,
        filters: list(rule.filters), backendRefs: list(rule.backendRefs),
        timeouts: r.kind === 'HTTPRoute' ? rule.timeouts : undefined, attachments: served,
      }, ctx);
      routes.push(...outcome.routes);
      unsupported.push(...outcome.unsupported.map((u) => `rules[${index}]: ${u}`));
      refProblems.push(...outcome.refProblems);
    });

    for (const u of unsupported) diag('error', Reasons.UnsupportedValue, u);
    for (const p of refProblems) diag('error', p.reason as DiagnosticReason, p.message);
    const resolvedRefs: StatusCondition = refProblems.length === 0
      ? cond('ResolvedRefs', true, 'ResolvedRefs', 'all references resolved')
      : cond('ResolvedRefs', false, refProblems[0].reason, refProblems.map((p) => p.message).join('; '));
    const parentStatus: RouteParentStatusEntry[] = parents.map((p) => {
      let accepted = p.accepted;
      if (accepted.status === 'True' && unsupported.length > 0) accepted = cond('Accepted', false, Reasons.UnsupportedValue, unsupported.join('; '));
      if (p.accepted.status === 'False') diag('warning', p.accepted.reason as DiagnosticReason, `parent ${p.parentRef.namespace}/${p.parentRef.name}: ${p.accepted.message}`);
      return { parentRef: p.parentRef, conditions: [accepted, resolvedRefs] };
    });
    for (const l of new Set(attachments.map((a) => a.listener))) l.attachedRoutes++;
    routeStatus.push({ kind: r.kind, namespace, name, generation: r.obj.metadata.generation, parents: parentStatus });
  }

  const gatewayStatus: GatewayStatusEntry[] = [...gateways.values()].map((g) => ({
    namespace: g.namespace, name: g.name, generation: g.gateway.metadata.generation, conditions: g.conditions, listeners: listenerStatusOf(g),
  }));
  return {
    routes,
    certificates,
    diagnostics: report.diagnostics,
    status: { controllerName: opts.gatewayControllerName, classes: classes.status, gateways: gatewayStatus, routes: routeStatus },
  };
}

/** A route attached through two parentRefs to the same listener is served (and counted) once. */
function dedupe(attachments: readonly Attachment[]): Attachment[] {
  const byListener = new Map<ListenerInfo, Set<string>>();
  for (const a of attachments) {
    const hosts = byListener.get(a.listener) ?? new Set<string>();
    for (const h of a.hosts) hosts.add(h);
    byListener.set(a.listener, hosts);
  }
  return [...byListener].map(([listener, hosts]) => ({ listener, hosts: [...hosts] }));
}
