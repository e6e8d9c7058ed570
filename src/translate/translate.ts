import { EMPTY_TRAFFIC_POLICY, type RequestOp } from '../routing/policy.ts';
import { RouteTable } from '../routing/route-table.ts';
import type { Diagnostic, PathType, Route, RoutePolicy, TlsCertificate } from '../routing/types.ts';
import { normalizePrefix } from '../routing/path-index.ts';
import type { ConfigMap, Ingress, IngressBackend, ObjectSet, Secret } from '../sources/object-set.ts';
import { type CanaryIngress, applyCanaries } from './canary.ts';
import { ingressPolicy } from './ingress-policy.ts';
import { BackendResolver } from './backends.ts';
import { shareClientCertByHost } from './client-cert.ts';
import { type ClassOptions, classifier } from './classes.ts';
import { type CertificateResult, readTlsSecret } from './tls.ts';
import { TranslationMemo } from './memo.ts';
import { translateEndpointsOnly } from './endpoints-only.ts';
import { type DiagnosticReason, Reasons } from '../routing/reasons.ts';
import { translateGatewayApi } from './gateway/gateway-api.ts';

export interface TranslateOptions extends ClassOptions {
  /** `namespace/name` of the Secret served for unknown SNI (`RAUTA_DEFAULT_CERTIFICATE`). */
  readonly defaultCertificate?: string;
  /** ingress-nginx's annotation prefix (`--annotations-prefix`), without the slash. */
  readonly annotationsPrefix?: string;
  /** GatewayClass spec.controllerName that is ours (RAUTA_GATEWAY_CONTROLLER_NAME); default rauta.io/gateway-controller. */
  readonly gatewayControllerName?: string;
  /** What the previous translation built (certificates, backends, routes); the reconciler keeps one. Fresh when absent. */
  readonly memo?: TranslationMemo;
  /** The clock certificate validity is checked against (ms since the epoch); `Date.now()` when absent. */
  readonly now?: number;
  /** Response header names custom-headers may set (RAUTA_ALLOWED_RESPONSE_HEADERS); absent: none. */
  readonly allowedResponseHeaders?: readonly string[];
}

export const DEFAULT_GATEWAY_CONTROLLER_NAME = 'rauta.io/gateway-controller';

export interface Translation {
  readonly table: RouteTable;
  /** Equal fingerprints mean equal tables: unchanged snapshots are not swapped in. */
  readonly fingerprint: string;
}

const HOST_RE = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PATH_TYPES: readonly string[] = ['Exact', 'Prefix', 'ImplementationSpecific'];

const ns = (ing: Ingress) => ing.metadata.namespace ?? 'default';

/** Oldest first (creationTimestamp, then namespace/name): the older Ingress wins a conflict. */
function byAge(a: Ingress, b: Ingress): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${ns(a)}/${a.metadata.name}`;
  const kb = `${ns(b)}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * ObjectSet → RouteTable. Pure and deterministic: the same objects always give the same table and the
 * same diagnostics, in the same order. One bad Ingress (or one bad path of it) costs only its own routes.
 */
export function translate(objects: ObjectSet, opts: TranslateOptions): Translation {
  const quick = opts.memo === undefined ? undefined : translateEndpointsOnly(objects, opts.memo);
  if (quick !== undefined) return quick;
  const diagnostics: Diagnostic[] = [];
  const kindOf = classifier(objects.ingressClasses, opts);
  const ingresses = objects.ingresses.filter((i) => kindOf(i) !== undefined).sort(byAge);
  const refused = new Set<Ingress>();
  // ingress-nginx's default-backend annotation names a Service of the namespace; its first port serves.
  const configMaps = new Map<string, ConfigMap>();
  for (const c of objects.configMaps ?? []) configMaps.set(`${c.metadata.namespace ?? 'default'}/${c.metadata.name}`, c);
  const resolveService = (namespace: string, name: string) => {
    const svc = objects.services.find((x) => (x.metadata.namespace ?? 'default') === namespace && x.metadata.name === name);
    const port = svc?.spec?.ports?.[0]?.port;
    if (port === undefined) return { error: `Service ${namespace}/${name} not found or without ports` };
    return { id: resolver.resolve(namespace, { service: { name, port: { number: port } } }).id };
  };
  const canaries: CanaryIngress[] = [];
  // from-to-www-redirect never takes a host some rule names itself.
  const ruleHosts = new Set(ingresses.flatMap((i) => (i.spec?.rules ?? []).map((r) => (r.host ?? '').toLowerCase())));
  const memo = opts.memo ?? new TranslationMemo();
  const resolver = new BackendResolver(objects.services, objects.endpointSlices, memo.backends);
  const secrets = new Map<string, Secret>();
  for (const s of objects.secrets) secrets.set(`${s.metadata.namespace ?? 'default'}/${s.metadata.name}`, s);
  const readSecret = (ref: string) => readTlsSecret(secrets.get(ref), ref, memo.certificates, opts.now ?? Date.now());

  for (const p of objects.problems) {
    diagnostics.push({
      namespace: p.namespace ?? 'default',
      ingress: p.kind === 'Ingress' ? (p.name ?? '') : '',
      severity: 'error',
      reason: Reasons.InvalidObject,
      message: `${p.origin ? `${p.origin}: ` : ''}${p.kind}${p.name ? ` ${p.name}` : ''}: ${p.message}`,
      field: p.field,
    });
  }

  const routes: Route[] = [];
  const taken = new Map<string, string>();
  const certificates: TlsCertificate[] = [];
  // Exact hosts any Ingress lists under spec.tls. They make that host TLS for every Ingress routing it
  // (ingress-nginx merges Ingresses per host the same way); a wildcard entry covers only its own
  // Ingress's routes, so one tenant's `*.example.com` cannot redirect another tenant's plain host.
  const exactTlsHosts = new Set<string>();
  let defaultRoute: Route | undefined;

  for (const ing of ingresses) {
    const namespace = ns(ing);
    const name = ing.metadata.name;
    const ingressRef = Object.freeze({ namespace, name });
    const report = (severity: Diagnostic['severity'], reason: DiagnosticReason, message: string, field?: string) =>
      diagnostics.push({ namespace, ingress: name, severity, reason, message, field });

    const ip = ingressPolicy(ing, kindOf(ing) ?? 'rauta', secrets, {
      annotationsPrefix: opts.annotationsPrefix, resolveService, configMaps, allowedResponseHeaders: opts.allowedResponseHeaders ?? [],
    });
    const policy = ip.policy;
    for (const p of ip.problems) report(p.severity, p.reason, `${p.annotation}: ${p.message}`, `metadata.annotations["${p.annotation}"]`);
    if (ip.refused !== undefined) {
      // Not served at all: serving it without what the annotation asked for could expose the backend.
      refused.add(ing);
      continue;
    }
    if (ip.nginx.canary !== undefined) {
      // Joins the main Ingress's routes once they all exist (below).
      canaries.push({ ing, spec: ip.nginx.canary, report });
      continue;
    }

    const backendFor = (ref: IngressBackend, field: string) => {
      if (ref.resource !== undefined) {
        report('error', Reasons.UnsupportedBackend, `resource backends (${ref.resource.kind} ${ref.resource.name}) are not supported`, field);
        return undefined;
      }
      const svc = ref.service;
      if (!svc?.name || !svc.port || (svc.port.number === undefined) === (svc.port.name === undefined)) {
        report('error', Reasons.InvalidBackend, 'backend needs service.name and exactly one of service.port.number or service.port.name', field);
        return undefined;
      }
      const backend = resolver.resolve(namespace, ref);
      if (backend.unavailable) report('error', backend.unavailable.reason, `${backend.unavailable.message}; requests get 503`, field);
      return backend;
    };

    const dflt = ing.spec?.defaultBackend;
    if (dflt) {
      const backend = backendFor(dflt, 'spec.defaultBackend');
      if (backend) {
        if (defaultRoute) {
          report('warning', Reasons.DefaultBackendConflict, `spec.defaultBackend ignored: ${defaultRoute.ingress.namespace}/${defaultRoute.ingress.name} is older and already sets one`, 'spec.defaultBackend');
        } else {
          defaultRoute = Object.freeze({ ingress: ingressRef, host: '', path: '/', pathType: 'Prefix', backend, policy, tls: false });
        }
      }
    }

    const ingressTlsHosts = collectTls(ing, namespace, readSecret, certificates, report);
    const ownTlsHosts = new Set(ingressTlsHosts);
    for (const h of ingressTlsHosts) if (!h.startsWith('*.')) exactTlsHosts.add(h);

    (ing.spec?.rules ?? []).forEach((rule, r) => {
      const host = (rule.host ?? '').toLowerCase();
      if (host !== '' && (!HOST_RE.test(host) || host !== rule.host)) {
        report('error', Reasons.InvalidHost, `host "${rule.host}" is not a lower-case DNS name or *.wildcard; rule skipped`, `spec.rules[${r}].host`);
        return;
      }
      (rule.http?.paths ?? []).forEach((p, i) => {
        const field = `spec.rules[${r}].http.paths[${i}]`;
        const pathType = p.pathType ?? '';
        if (!PATH_TYPES.includes(pathType)) {
          report('error', Reasons.InvalidPathType, `pathType "${pathType}" is not Exact, Prefix or ImplementationSpecific; path skipped`, `${field}.pathType`);
          return;
        }
        const path = p.path ?? '/';
        if (!path.startsWith('/')) {
          report('error', Reasons.InvalidPath, `path "${path}" must start with /; path skipped`, `${field}.path`);
          return;
        }
        const pp = ip.forPath(path, pathType);
        if ('error' in pp) {
          report('error', Reasons.InvalidPath, `${pp.error}; path skipped`, `${field}.path`);
          return;
        }
        const backend = backendFor(p.backend ?? {}, `${field}.backend`);
        if (!backend) return;
        const addRoute = (routeHost: string, routePolicy: RoutePolicy): boolean => {
          const key = `${routeHost}\u0000${pp.pathType === 'Exact' ? 'E' : 'P'}\u0000${pp.pathType === 'Exact' ? pp.path : normalizePrefix(pp.path)}`;
          const owner = taken.get(key);
          if (owner !== undefined) {
            report('error', Reasons.PathConflict, `${routeHost || '*'} ${path} (${pathType}) is already served by ${owner}, which is older; path skipped`, field);
            return false;
          }
          taken.set(key, `${namespace}/${name}`);
          routes.push(Object.freeze({ ingress: ingressRef, host: routeHost, path: pp.path, pathType: pp.pathType as PathType, backend, policy: routePolicy, tls: routeHost !== '' && coveredByTls(routeHost, ownTlsHosts) }));
          return true;
        };
        if (!addRoute(host, pp.policy)) return;
        const www = ip.wwwRedirect ? wwwAlias(host) : undefined;
        if (www !== undefined && !ruleHosts.has(www)) addRoute(www, wwwRedirectPolicy(pp.policy, host));
        // server-alias: more names for the Ingress's rules, never one some rule names itself.
        for (const alias of ip.nginx.aliases) if (!ruleHosts.has(alias)) addRoute(alias, pp.policy);
      });
    });
  }

  const canaryServed = applyCanaries(routes, canaries, (namespace, ref) => resolver.resolve(namespace, ref));
  for (const c of canaries) if (!canaryServed.has(c.ing)) refused.add(c.ing);
  const defaultCertificate = readDefaultCertificate(opts.defaultCertificate, readSecret, diagnostics);
  // Gateway API routes come after the Ingress ones: on an exact tie the Ingress is tried first.
  const gateway = translateGatewayApi(objects, { gatewayControllerName: opts.gatewayControllerName ?? DEFAULT_GATEWAY_CONTROLLER_NAME }, { resolver, readSecret });
  memo.sweep();
  const finalRoutes = shareClientCertByHost(routes).map((r) => (!r.tls && exactTlsHosts.has(r.host) ? Object.freeze({ ...r, tls: true }) : r));
  const served = ingresses.filter((i) => !refused.has(i)).map((i) => `${ns(i)}/${i.metadata.name}`);
  const { input, fingerprint } = memo.settle({
    routes: [...finalRoutes, ...gateway.routes],
    defaultRoute,
    backends: resolver.all(),
    diagnostics: [...diagnostics, ...gateway.diagnostics],
    certificates: [...certificates, ...gateway.certificates],
    defaultCertificate,
    ingresses: served,
    ...(gateway.status !== undefined ? { gatewayStatus: gateway.status } : {}),
  });
  const table = new RouteTable(input, Math.random, memo.table);
  memo.keep(objects, table, resolver.servicesByKey, resolver.slicesByService);
  return { table, fingerprint };
}

/** www.example.com ↔ example.com; undefined for wildcard and empty hosts. */
function wwwAlias(host: string): string | undefined {
  if (host === '' || host.startsWith('*.')) return undefined;
  return host.startsWith('www.') ? host.slice(4) : `www.${host}`;
}

/** The alias host's routes answer 308 to the host the Ingress names (ingress-nginx's from-to-www-redirect). */
function wwwRedirectPolicy(policy: RoutePolicy, target: string): RoutePolicy {
  const traffic = policy.traffic ?? EMPTY_TRAFFIC_POLICY;
  const redirect: RequestOp = { kind: 'redirect', status: 308, hostname: target, keepQuery: true };
  return Object.freeze({ ...policy, traffic: Object.freeze({ ...traffic, request: Object.freeze([redirect, ...traffic.request]) }) });
}

function collectTls(
  ing: Ingress,
  namespace: string,
  readSecret: (ref: string) => CertificateResult,
  certificates: TlsCertificate[],
  report: (severity: Diagnostic['severity'], reason: DiagnosticReason, message: string, field?: string) => void,
): string[] {
  const hosts: string[] = [];
  (ing.spec?.tls ?? []).forEach((tls, t) => {
    const listed = (tls.hosts ?? []).map((h) => h.toLowerCase());
    const covered = listed.length > 0 ? listed : (ing.spec?.rules ?? []).map((r) => (r.host ?? '').toLowerCase()).filter((h) => h !== '');
    hosts.push(...covered);
    if (!tls.secretName) return; // TLS with the default certificate
    const id = `${namespace}/${tls.secretName}`;
    // Every entry naming a Secret gets its own certificate entry, even when another Ingress already
    // uses that Secret: shared wildcard and SAN certificates are common, and each entry lists its hosts.
    const result = readSecret(id);
    if (!result.ok) {
      report('error', result.reason, `${result.message}; these hosts get the default certificate`, `spec.tls[${t}].secretName`);
      return;
    }
    certificates.push(Object.freeze({ id, hosts: Object.freeze(covered), cert: result.cert, key: result.key }));
  });
  return hosts;
}

/** The default certificate is read like any TLS Secret; when it is broken the self-signed one stays in use. */
function readDefaultCertificate(ref: string | undefined, readSecret: (ref: string) => CertificateResult, diagnostics: Diagnostic[]): TlsCertificate | undefined {
  if (ref === undefined) return undefined;
  const result = readSecret(ref);
  if (result.ok) return Object.freeze({ id: ref, hosts: Object.freeze([]), cert: result.cert, key: result.key });
  const namespace = ref.slice(0, ref.indexOf('/'));
  diagnostics.push({ namespace, ingress: '', severity: 'error', reason: result.reason, message: `RAUTA_DEFAULT_CERTIFICATE: ${result.message}; the self-signed start-up certificate is served instead` });
  return undefined;
}

function coveredByTls(host: string, tlsHosts: Set<string>): boolean {
  if (tlsHosts.has(host)) return true;
  const dot = host.indexOf('.');
  return dot !== -1 && tlsHosts.has(`*${host.slice(dot)}`);
}
