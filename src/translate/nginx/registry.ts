import type { Phase, PolicyOp } from '../../routing/policy.ts';
import type { HashBy, LoadBalance, BackendProtocol } from '../../routing/types.ts';
import type { ConfigMap, Secret } from '../../sources/object-set.ts';

/**
 * What RAUTA does with one ingress-nginx annotation. The verdict table in docs, the migration report
 * and translation all read the same entries, so they cannot disagree.
 */
export type Verdict =
  /** Same behaviour as ingress-nginx. */
  | 'honoured'
  /** Honoured; `difference` says what is not the same. */
  | 'honoured-with-difference'
  /** Known, not implemented: a warning; a security annotation closes the route instead (fail closed). */
  | 'unsupported'
  /** Never honoured because it is unsafe: the Ingress (or route) is not served as written. */
  | 'refused';

export const VERDICT_TEXT: Record<Verdict, string> = {
  honoured: 'honoured',
  'honoured-with-difference': 'honoured with difference',
  unsupported: 'known but unsupported',
  refused: 'refused for safety',
};

export interface AnnotationEntry {
  /** Without prefix, e.g. `proxy-body-size`. */
  readonly name: string;
  /** The module (and docs section) it belongs to. */
  readonly theme: string;
  readonly verdict: Verdict;
  /** What RAUTA does with it (one sentence, shown in docs and the migration report). */
  readonly behaviour: string;
  readonly difference?: string;
  /** A security annotation that cannot be honoured closes the route (503) instead of opening it. */
  readonly security?: boolean;
  /**
   * Reads the value (and, for a group's lead annotation, its siblings through `ctx.value`) into the
   * model. Absent for annotations a group's lead reads, and for ones with nothing to translate.
   */
  readonly parse?: (value: string, ctx: NginxContext) => void;
}

/** Settings of the base RoutePolicy an annotation may set (the rest is traffic-policy operations). */
export interface BaseOverrides {
  sslRedirect?: boolean;
  retries?: number;
  protocol?: BackendProtocol;
  loadBalance?: LoadBalance;
  hashBy?: HashBy;
}

export type ProblemKind = 'invalid' | 'unsupported' | 'refused' | 'fail-closed' | 'note';

export interface AnnotationProblem {
  /** Full annotation name, prefix included. */
  readonly annotation: string;
  readonly kind: ProblemKind;
  readonly message: string;
}

/** What a parser may read and do. One per Ingress. */
export interface NginxContext {
  readonly namespace: string;
  readonly ingress: string;
  /** True for Ingresses of ingress-nginx's class (their defaults apply). */
  readonly nginxClass: boolean;
  /** The effective value of an annotation by short name (`rauta.io/` wins over the nginx prefix). */
  value(name: string): string | undefined;
  /** A Secret by `name` (Ingress namespace) or `namespace/name`. */
  secret(ref: string): Secret | undefined;
  /** A ConfigMap by `namespace/name`; undefined when the source has none of that name. */
  configMap(ref: string): ConfigMap | undefined;
  /**
   * Response header names custom-headers may set (RAUTA_ALLOWED_RESPONSE_HEADERS, lower-case);
   * undefined when not known (the migration report, which says what must be allowed).
   */
  readonly allowedResponseHeaders: readonly string[] | undefined;
  /** The backend id (`namespace/service:port`, first port) of a Service of the Ingress's namespace. */
  service(name: string): { readonly id: string } | { readonly error: string };
  op(op: PolicyOp, phase?: Phase): void;
  readonly base: BaseOverrides;
  /** The value is not valid: ignored (with the default), a warning. */
  invalid(name: string, message: string): void;
  /** Known, not implemented here: a warning. */
  unsupported(name: string, message: string): void;
  /** A difference worth telling in the migration report, not a problem. */
  note(name: string, message: string): void;
  /** A security setting that cannot be honoured: the routes answer 503 RAUTA_ERR_POLICY_UNAVAILABLE. */
  failClosed(name: string, message: string): void;
  /** The Ingress is not served at all (snippets with arbitrary configuration). */
  refuse(name: string, message: string): void;
  /** Path-level settings translate.ts applies per path (regex paths, rewrite-target). */
  readonly paths: PathSettings;
  /** Hosts that also get the Ingress's routes as redirects (from-to-www-redirect). */
  wwwRedirect: boolean;
  /** Extra host names serving the Ingress's rules (server-alias). */
  readonly aliases: string[];
  /** Set when this is a canary Ingress: its routes join the main Ingress's (translate.ts). */
  canary: CanarySpec | undefined;
}

/** ingress-nginx canary rules, in their precedence: header, then cookie, then weight. */
export interface CanarySpec {
  readonly header?: { readonly name: string; readonly value?: string; readonly pattern?: string };
  readonly cookie?: string;
  readonly weight: number;
  readonly total: number;
}

export interface PathSettings {
  useRegex: boolean;
  rewriteTarget: import('../../routing/policy.ts').Template | undefined;
}

// ── grammars shared by the modules ────────────────────────────────────────────

export function parseBool(v: string): boolean | undefined {
  const t = v.trim().toLowerCase();
  return t === 'true' ? true : t === 'false' ? false : undefined;
}

/** nginx size syntax: `1024`, `8k`, `8K`, `1m`, `1g`. */
export function parseSize(v: string): number | undefined {
  const m = /^\s*(\d{1,12})([kKmMgG]?)\s*$/.exec(v);
  if (!m) return undefined;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase()] ?? 1;
  const n = Number(m[1]) * mult;
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Whole seconds, as ingress-nginx's timeouts (a bare integer). */
export function parseSeconds(v: string, max = 86_400): number | undefined {
  const m = /^\s*(\d{1,6})s?\s*$/.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n >= 1 && n <= max ? n : undefined;
}

export function parseIntIn(v: string, min: number, max: number): number | undefined {
  if (!/^\s*\d{1,9}\s*$/.test(v)) return undefined;
  const n = Number(v);
  return n >= min && n <= max ? n : undefined;
}

/** RFC 9110 token, lower-cased (header names). */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
/** Printable ASCII, space and tab: never CR, LF or NUL. */
export const HEADER_VALUE = /^[\t\x20-\x7e]{0,4096}$/;

export function splitList(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}
