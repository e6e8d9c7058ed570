import type { AnyOfOp, Phase, PolicyOp } from '../../routing/policy.ts';
import type { ConfigMap, Secret } from '../../sources/object-set.ts';
import { accessEntries } from './access.ts';
import { bodyEntries } from './body.ts';
import { corsEntries } from './cors.ts';
import { headerEntries } from './headers.ts';
import { limitEntries } from './limits.ts';
import { mirrorEntries } from './mirror.ts';
import { otherEntries } from './others.ts';
import { redirectEntries } from './redirects.ts';
import type { AnnotationEntry, AnnotationProblem, BaseOverrides, CanarySpec, NginxContext, PathSettings, ProblemKind } from './registry.ts';
import { rewriteEntries } from './rewrite.ts';
import { upstreamEntries } from './upstream.ts';

export const NGINX_PREFIX = 'nginx.ingress.kubernetes.io';
export const RAUTA_PREFIX = 'rauta.io';

/** Every ingress-nginx annotation RAUTA knows, with its verdict and parser, by theme. */
export const NGINX_ANNOTATIONS: readonly AnnotationEntry[] = [
  ...bodyEntries, ...accessEntries, ...limitEntries, ...redirectEntries, ...rewriteEntries,
  ...upstreamEntries, ...corsEntries, ...headerEntries, ...mirrorEntries, ...otherEntries,
];

export const NGINX_BY_NAME: ReadonlyMap<string, AnnotationEntry> = new Map(NGINX_ANNOTATIONS.map((e) => [e.name, e]));

/**
 * `rauta.io/` annotations RAUTA defined first, with their own grammar (annotations.ts). Their nginx
 * counterparts are read only when the rauta.io one is absent.
 */
export const RAUTA_NATIVE: ReadonlyMap<string, readonly string[]> = new Map([
  ['ssl-redirect', ['ssl-redirect']],
  ['backend-protocol', ['backend-protocol']],
  ['load-balance', ['load-balance', 'upstream-hash-by']],
  ['hash-by', ['upstream-hash-by', 'load-balance']],
  ['retries', ['proxy-next-upstream-tries']],
]);

export interface NginxTranslation {
  readonly ops: readonly { readonly op: PolicyOp; readonly phase?: Phase }[];
  readonly base: BaseOverrides;
  readonly problems: readonly AnnotationProblem[];
  readonly paths: PathSettings;
  readonly wwwRedirect: boolean;
  /** Set when the Ingress must not be served (a refused snippet). */
  readonly refused: string | undefined;
  readonly aliases: readonly string[];
  /** Set for a canary Ingress. */
  readonly canary: CanarySpec | undefined;
  /** Annotations found (full names), for the migration report. */
  readonly seen: readonly { readonly annotation: string; readonly name: string; readonly source: 'nginx' | 'rauta' }[];
}

export interface NginxOptions {
  /** The ingress-nginx annotation prefix (`--annotations-prefix`), without the slash. */
  readonly prefix: string;
  readonly nginxClass: boolean;
  /** Resolves a Service of the namespace to a backend of the table (its first port); absent: assumed to exist. */
  readonly resolveService?: (namespace: string, name: string) => { readonly id: string } | { readonly error: string };
  /** ConfigMaps by `namespace/name` (custom-headers); absent: none are known. */
  readonly configMaps?: ReadonlyMap<string, ConfigMap>;
  /** RAUTA_ALLOWED_RESPONSE_HEADERS; absent: not known (the migration report). */
  readonly allowedResponseHeaders?: readonly string[];
}

/**
 * Messages quote annotation values, and they travel into logs, Events, error bodies and the web UI:
 * control characters are escaped and the length is capped, whatever the value held.
 */
function printable(message: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping them is the point
  const out = message.replace(/[\u0000-\u001f\u007f\u2028\u2029\u202a-\u202e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return out.length > 600 ? `${out.slice(0, 600)}…` : out;
}

/** Defaults ingress-nginx applies where RAUTA's differ (documented in the migration guide). */
export const NGINX_CLASS_DEFAULTS = Object.freeze({ bodyLimitBytes: 1024 * 1024 });

/**
 * Reads one Ingress's ingress-nginx annotations (and `rauta.io/` annotations of the same name, which win)
 * into traffic-policy operations. Pure: the same annotations and Secrets give the same result.
 */
export function translateNginxAnnotations(
  annotations: Readonly<Record<string, string>> | undefined,
  ref: { readonly namespace: string; readonly name: string },
  secrets: ReadonlyMap<string, Secret>,
  opts: NginxOptions,
): NginxTranslation {
  const nginxPrefix = `${opts.prefix}/`;
  const rautaPrefix = `${RAUTA_PREFIX}/`;
  const nginxValues = new Map<string, string>();
  const rautaValues = new Map<string, string>();
  const problems: AnnotationProblem[] = [];
  const seen: { annotation: string; name: string; source: 'nginx' | 'rauta' }[] = [];
  const shadowed = new Set<string>();
  for (const [rautaName, nginxNames] of RAUTA_NATIVE) if (annotations?.[rautaPrefix + rautaName] !== undefined) for (const n of nginxNames) shadowed.add(n);

  for (const [key, value] of Object.entries(annotations ?? {})) {
    if (key.startsWith(nginxPrefix)) {
      const name = key.slice(nginxPrefix.length);
      if (!NGINX_BY_NAME.has(name)) {
        problems.push({ annotation: key, kind: 'invalid', message: 'not an ingress-nginx annotation (typo?); ignored' });
        continue;
      }
      seen.push({ annotation: key, name, source: 'nginx' });
      nginxValues.set(name, value);
    } else if (key.startsWith(rautaPrefix)) {
      const name = key.slice(rautaPrefix.length);
      // rauta.io/ names RAUTA defined itself are read by annotations.ts; the rest use the nginx grammar.
      if (NGINX_BY_NAME.has(name) && !RAUTA_NATIVE.has(name)) {
        seen.push({ annotation: key, name, source: 'rauta' });
        rautaValues.set(name, value);
      }
    }
  }
  for (const name of nginxValues.keys()) {
    if (rautaValues.has(name) || shadowed.has(name)) {
      problems.push({ annotation: nginxPrefix + name, kind: 'note', message: `overridden by the rauta.io/ annotation for the same setting` });
    }
  }

  const ops: { op: PolicyOp; phase?: Phase }[] = [];
  const base: BaseOverrides = {};
  const paths: PathSettings = { useRegex: false, rewriteTarget: undefined };
  let refused: string | undefined;
  const full = (name: string) => (rautaValues.has(name) ? rautaPrefix : nginxPrefix) + name;
  const add = (kind: ProblemKind) => (name: string, message: string) => { problems.push({ annotation: full(name), kind, message: printable(message) }); };
  const ctx: NginxContext = {
    namespace: ref.namespace,
    ingress: ref.name,
    nginxClass: opts.nginxClass,
    value: (name) => rautaValues.get(name) ?? (shadowed.has(name) ? undefined : nginxValues.get(name)),
    secret: (r) => secrets.get(r.includes('/') ? r : `${ref.namespace}/${r}`),
    configMap: (r) => opts.configMaps?.get(r),
    allowedResponseHeaders: opts.allowedResponseHeaders?.map((h) => h.toLowerCase()),
    service: (name) => opts.resolveService?.(ref.namespace, name) ?? { id: `${ref.namespace}/${name}` },
    op: (op, phase) => { ops.push({ op, phase }); },
    base,
    invalid: add('invalid'),
    unsupported: add('unsupported'),
    note: add('note'),
    failClosed: (name, message) => {
      const m = printable(message);
      problems.push({ annotation: full(name), kind: 'fail-closed', message: `${m}; requests get 503 RAUTA_ERR_POLICY_UNAVAILABLE` });
      ops.push({ op: { kind: 'fail-closed', reason: full(name), message: m } });
    },
    refuse: (name, message) => {
      const m = printable(message);
      problems.push({ annotation: full(name), kind: 'refused', message: m });
      refused ??= `${full(name)}: ${m}`;
    },
    paths,
    wwwRedirect: false,
    aliases: [],
    canary: undefined,
  };

  // Each parser runs once, even when several annotations of its group are set (timeouts, retries).
  const ran = new Set<AnnotationEntry['parse']>();
  for (const entry of NGINX_ANNOTATIONS) {
    const value = ctx.value(entry.name);
    if (value === undefined || entry.parse === undefined || ran.has(entry.parse)) continue;
    ran.add(entry.parse);
    entry.parse(value, ctx);
  }
  // satisfy: any — an allow-list or authentication suffices (deny lists and closed routes still hold).
  if (ctx.value('satisfy')?.trim() === 'any') {
    const either = ops.filter((o) => (o.op.kind === 'source-range' && o.op.mode === 'allow') || o.op.kind === 'basic-auth' || o.op.kind === 'forward-auth');
    if (either.length > 1) {
      const inner = either.map((o) => o.op) as AnyOfOp['ops'][number][];
      // Address lists first, authentication last: a failed request then gets the credentials challenge.
      inner.sort((a, b) => (a.kind === 'source-range' ? 0 : 1) - (b.kind === 'source-range' ? 0 : 1));
      const at = ops.indexOf(either[0]);
      for (const o of either) ops.splice(ops.indexOf(o), 1);
      ops.splice(at, 0, { op: { kind: 'any-of', ops: inner } });
    }
  }
  if (opts.nginxClass && !ops.some((o) => o.op.kind === 'body-limit')) {
    ops.unshift({ op: { kind: 'body-limit', maxBytes: NGINX_CLASS_DEFAULTS.bodyLimitBytes } });
  }
  return { ops, base, problems, paths, wwwRedirect: ctx.wwwRedirect, aliases: ctx.aliases, refused, seen, canary: ctx.canary };
}
