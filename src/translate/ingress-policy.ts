import { type Phase, type PolicyOp, type Template, buildPolicy } from '../routing/policy.ts';
import { type DiagnosticReason, Reasons } from '../routing/reasons.ts';
import type { RoutePolicy } from '../routing/types.ts';
import type { ConfigMap, Ingress, Secret } from '../sources/object-set.ts';
import { compileRegex } from '../proxy/policy/compile.ts';
import { parsePolicy } from './annotations.ts';
import type { IngressKind } from './classes.ts';
import { NGINX_BY_NAME, NGINX_PREFIX, type NginxTranslation, translateNginxAnnotations } from './nginx/index.ts';

export interface PolicyProblem {
  readonly severity: 'error' | 'warning';
  readonly reason: DiagnosticReason;
  readonly annotation: string;
  readonly message: string;
}

export interface PathPolicy {
  /** The path the route index matches (a regex path's literal prefix). */
  readonly path: string;
  readonly pathType: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  readonly policy: RoutePolicy;
}

export interface IngressPolicy {
  /** The policy of routes whose paths are not regular expressions. */
  readonly policy: RoutePolicy;
  readonly problems: readonly PolicyProblem[];
  /** The Ingress must not be served (a refused snippet, a canary). */
  readonly refused: string | undefined;
  /** Also serve www.<host> ↔ <host> as redirects (from-to-www-redirect). */
  readonly wwwRedirect: boolean;
  /** The route path and policy of one Ingress path, or why that path cannot be served. */
  forPath(path: string, pathType: string): PathPolicy | { readonly error: string };
  readonly nginx: NginxTranslation;
}

export interface PolicyOptions {
  readonly annotationsPrefix?: string;
  readonly resolveService?: (namespace: string, name: string) => { readonly id: string } | { readonly error: string };
  readonly configMaps?: ReadonlyMap<string, ConfigMap>;
  readonly allowedResponseHeaders?: readonly string[];
}

const REGEX_META = /[.^$*+?()[\]{}|\\]/;

/**
 * The literal start of a regex path, where the route index finds it: up to the first regex character,
 * cut back to a segment boundary unless the regex continues at one (`/app(/|$)(.*)` → `/app`).
 */
export function literalPrefix(pattern: string): string {
  const meta = pattern.search(REGEX_META);
  if (meta === -1) return pattern;
  const lit = pattern.slice(0, meta);
  const rest = pattern.slice(meta);
  const atBoundary = lit.endsWith('/') || /^\((\/|\?:\/)/.test(rest) || rest.startsWith('/') || rest === '$';
  const cut = atBoundary ? lit : lit.slice(0, lit.lastIndexOf('/') + 1);
  const trimmed = cut.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

const severityOf: Record<string, { severity: 'error' | 'warning'; reason: DiagnosticReason } | undefined> = {
  invalid: { severity: 'warning', reason: Reasons.InvalidAnnotation },
  unsupported: { severity: 'warning', reason: Reasons.UnsupportedAnnotation },
  'fail-closed': { severity: 'error', reason: Reasons.PolicyFailClosed },
  refused: { severity: 'error', reason: Reasons.AnnotationRefused },
  note: undefined,
};

/**
 * An Ingress's annotations → its routes' policy: `rauta.io/*` (annotations.ts) and ingress-nginx's
 * (nginx/), the rauta.io one winning where both say the same thing. Pure.
 */
export function ingressPolicy(ing: Ingress, kind: IngressKind, secrets: ReadonlyMap<string, Secret>, opts: PolicyOptions): IngressPolicy {
  const namespace = ing.metadata.namespace ?? 'default';
  const annotations = ing.metadata.annotations;
  const problems: PolicyProblem[] = [];
  const rauta = parsePolicy(annotations);
  for (const p of rauta.problems) {
    // rauta.io/ names shared with ingress-nginx's grammar are read by the nginx translation.
    if (p.message.startsWith('unknown annotation') && isSharedName(p.annotation)) continue;
    problems.push({ severity: 'warning', reason: Reasons.InvalidAnnotation, annotation: p.annotation, message: p.message });
  }
  const nginx = translateNginxAnnotations(annotations, { namespace, name: ing.metadata.name }, secrets, {
    prefix: opts.annotationsPrefix ?? NGINX_PREFIX,
    nginxClass: kind === 'nginx',
    resolveService: opts.resolveService,
    configMaps: opts.configMaps,
    allowedResponseHeaders: opts.allowedResponseHeaders,
  });
  for (const p of nginx.problems) {
    const s = severityOf[p.kind];
    if (s !== undefined) problems.push({ ...s, annotation: p.annotation, message: p.message });
  }
  const ops: { op: PolicyOp; phase?: Phase }[] = [...nginx.ops];
  if (kind === 'nginx' && !ops.some((o) => o.op.kind === 'timeouts')) {
    // ingress-nginx's defaults: connect 5 s, read 60 s, send 60 s.
    ops.push({ op: { kind: 'timeouts', connectMs: 5000, readMs: 60_000, sendMs: 60_000 } });
  }
  const base: RoutePolicy = Object.freeze({ ...rauta.policy, ...nginx.base, traffic: buildPolicy(ops) });
  const regexPaths = nginx.paths.useRegex || nginx.paths.rewriteTarget !== undefined;
  const rewriteTarget: Template | undefined = nginx.paths.rewriteTarget;

  return {
    policy: base,
    problems,
    refused: nginx.refused,
    wwwRedirect: nginx.wwwRedirect,
    nginx,
    forPath(path, pathType) {
      if (!regexPaths) return { path, pathType: pathType as PathPolicy['pathType'], policy: base };
      try {
        compileRegex(path, true);
      } catch (err) {
        return { error: `path "${path.slice(0, 128)}" is not a regular expression RAUTA can run in linear time (RE2): ${(err as Error).message}` };
      }
      // ingress-nginx: with rewrite-target the location is `~* ^path` and the path becomes the target.
      const op: PolicyOp = {
        kind: 'rewrite',
        path: { type: 'RegexReplace', pattern: path, caseInsensitive: true, template: rewriteTarget ?? [{ var: 'uri' }] },
      };
      const policy: RoutePolicy = Object.freeze({ ...base, traffic: buildPolicy([...ops, { op }]) });
      return { path: literalPrefix(path), pathType: 'Prefix', policy };
    },
  };
}

function isSharedName(annotation: string): boolean {
  return annotation.startsWith('rauta.io/') && NGINX_BY_NAME.has(annotation.slice('rauta.io/'.length));
}
