/**
 * The per-route traffic policy: typed operations in four named phases, run in this order for every
 * request (Pingora's phases, Envoy's filter chain):
 *
 *   access   → may the client come in at all?   (address lists, basic/forward auth, rate limits)
 *   request  → change or answer the request     (body limit, redirects, rewrites, header changes, CORS)
 *   upstream → how to talk to the backend        (timeouts, TLS to the pod, Host override, retries, affinity)
 *   response → change the backend's answer       (header changes, error pages)
 *
 * Everything here is plain, serializable data (the route table may be shipped to worker processes): no
 * functions, no RegExp objects, no class instances. Patterns are stored as source text and compiled once
 * per table by the data plane (src/proxy/policy/compile.ts) with a linear-time engine. Every value was
 * parsed by a strict grammar during translation: nothing here is spliced into text unchecked.
 *
 * The operations are shaped after Gateway API's HTTPRoute filters (RequestHeaderModifier,
 * ResponseHeaderModifier, RequestRedirect, URLRewrite, RequestMirror, CORS, timeouts) so that both
 * Ingress annotations and route filters translate into the same model.
 */

// ── shared pieces ─────────────────────────────────────────────────────────────

/** One header value; names are lower-case tokens, values contain no CR, LF or NUL (checked in translation). */
export interface HeaderValue {
  readonly name: string;
  readonly value: string;
}

/** Gateway API HTTPHeaderFilter: `set` replaces, `add` appends, `remove` deletes (by name). */
export interface HeaderModifier {
  readonly set?: readonly HeaderValue[];
  readonly add?: readonly HeaderValue[];
  readonly remove?: readonly string[];
}

/**
 * A string with a fixed set of request variables, parsed into parts so nothing is interpolated at run
 * time beyond these. `capture` is a regex group of the route's path pattern ($1…$9).
 */
export type TemplatePart =
  | { readonly lit: string }
  | { readonly var: TemplateVar }
  | { readonly capture: number };
export type TemplateVar = 'scheme' | 'host' | 'request_uri' | 'uri' | 'args' | 'query_string' | 'escaped_request_uri' | 'best_http_host' | 'remote_addr';
export type Template = readonly TemplatePart[];

/**
 * How a path changes (Gateway API HTTPPathModifier, plus the regex form ingress-nginx's rewrite-target
 * with use-regex needs).
 */
export type PathModifier =
  | { readonly type: 'ReplaceFullPath'; readonly value: string }
  /** Replaces the part of the path the route's prefix matched. */
  | { readonly type: 'ReplacePrefixMatch'; readonly value: string }
  /** The route's path pattern (`pattern`, RE2 syntax, anchored at the start) is replaced by the template. */
  | { readonly type: 'RegexReplace'; readonly pattern: string; readonly caseInsensitive: boolean; readonly template: Template };

// ── access phase ──────────────────────────────────────────────────────────────

export interface SourceRangeOp {
  readonly kind: 'source-range';
  /** `allow`: only these addresses (others 403); `deny`: these get 403. */
  readonly mode: 'allow' | 'deny';
  /** Canonical CIDRs (`10.0.0.0/8`, `::1/128`). */
  readonly cidrs: readonly string[];
}

export interface HtpasswdUser {
  readonly user: string;
  /** `$2y$…` bcrypt, `$apr1$…` Apache MD5, `{SHA}…` SHA-1 (only these are accepted). */
  readonly hash: string;
}

export interface BasicAuthOp {
  readonly kind: 'basic-auth';
  readonly realm: string;
  readonly users: readonly HtpasswdUser[];
}

export interface ForwardAuthOp {
  readonly kind: 'forward-auth';
  /** http(s) URL; may hold only the allowed template variables. */
  readonly url: Template;
  readonly method: 'GET' | 'POST' | 'HEAD';
  /** Where a 401 is redirected instead (browser sign-in), with the original URL in `signinParam`. */
  readonly signin?: Template;
  readonly signinParam: string;
  /** Headers of the auth answer copied onto the request that goes upstream. */
  readonly responseHeaders: readonly string[];
  /** Value of X-Auth-Request-Redirect sent to the auth service. */
  readonly requestRedirect?: Template;
  readonly timeoutMs: number;
}

export interface RateLimitOp {
  readonly kind: 'rate-limit';
  /** Requests per `perMs` per client address (per replica), with `burst` extra. */
  readonly requests: number;
  readonly perMs: number;
  readonly burst: number;
  readonly status: number;
  /** Client ranges exempt from the limit. */
  readonly exempt: readonly string[];
}

export interface ConnectionLimitOp {
  readonly kind: 'connection-limit';
  /** Concurrent requests per client address on this route (per replica). */
  readonly max: number;
  readonly status: number;
}

/**
 * A security setting that could not be honoured. The route answers 503 with RAUTA_ERR_POLICY_UNAVAILABLE
 * rather than opening: a broken allow-list or auth annotation must never mean "no check".
 */
export interface FailClosedOp {
  readonly kind: 'fail-closed';
  readonly reason: string;
  readonly message: string;
}

/**
 * Client-certificate authentication (ingress-nginx auth-tls-*). The HTTPS listener asks for a certificate
 * during the handshake for the hosts of routes carrying this op (by SNI) and verifies it against `caPem`;
 * the request is then let in or answered here.
 */
export interface ClientCertOp {
  readonly kind: 'client-cert';
  /** `on`: a valid certificate is required; `optional`: verified when sent; `optional_no_ca`: asked for, not verified. */
  readonly mode: 'on' | 'optional' | 'optional_no_ca';
  /** PEM CA bundle the certificate must chain to. */
  readonly caPem: string;
  /** PEM CRL (the Secret's ca.crl): certificates it revokes are refused. */
  readonly crlPem?: string;
  /** Longest chain accepted: the certificate plus this many CA certificates. */
  readonly depth: number;
  /** Where a client without a valid certificate is redirected (302) instead of getting 400. */
  readonly errorPage?: Template;
  /** Send the certificate upstream (URL-encoded PEM in ssl-client-cert). */
  readonly passCertificate: boolean;
  /** RE2 pattern the subject DN must match (403 otherwise). */
  readonly matchCn?: string;
  /** `namespace/name` of the Secret the CA came from, for display. */
  readonly secret: string;
}

/**
 * nginx `satisfy any`: the request may pass when any one of these checks lets it (an allow-list for the
 * office network, authentication for everyone else). When none does, the last check's answer is given
 * (an authentication challenge, so browsers ask for credentials).
 */
export interface AnyOfOp {
  readonly kind: 'any-of';
  readonly ops: readonly (SourceRangeOp | BasicAuthOp | ForwardAuthOp)[];
}

export type AccessOp = SourceRangeOp | BasicAuthOp | ForwardAuthOp | RateLimitOp | ConnectionLimitOp | FailClosedOp | ClientCertOp | AnyOfOp;

// ── request phase ─────────────────────────────────────────────────────────────

export interface BodyLimitOp {
  readonly kind: 'body-limit';
  /** Largest request body in bytes (413 beyond, chunked bodies included); 0 = unlimited. */
  readonly maxBytes: number;
}

/** Gateway API HTTPRequestRedirectFilter, plus a full-URL form for ingress-nginx's redirect annotations. */
export interface RedirectOp {
  readonly kind: 'redirect';
  readonly status: 301 | 302 | 303 | 307 | 308;
  readonly scheme?: 'http' | 'https';
  readonly hostname?: string;
  readonly port?: number;
  readonly path?: PathModifier;
  /** A whole Location template; when set, the fields above are ignored. */
  readonly location?: Template;
  /** Only redirect when the request path is exactly this (app-root redirects `/` only). */
  readonly onlyPath?: string;
  /** Keep the query string (Gateway API does; a full-URL Location decides itself). */
  readonly keepQuery: boolean;
}

/** Plain HTTP → HTTPS (308 unless said otherwise). `force` also applies when the route has no TLS. */
export interface HttpsRedirectOp {
  readonly kind: 'https-redirect';
  readonly status: 301 | 302 | 307 | 308;
  readonly force: boolean;
  /** Trust X-Forwarded-Proto from the client (a TLS-terminating load balancer in front). */
  readonly trustForwardedProto: boolean;
}

/** Gateway API HTTPURLRewriteFilter (+ regex form). `hostname` is the Host the backend sees. */
export interface RewriteOp {
  readonly kind: 'rewrite';
  readonly hostname?: string;
  readonly path?: PathModifier;
}

export interface HeaderOp {
  readonly kind: 'headers';
  readonly modifier: HeaderModifier;
}

export interface CorsOp {
  readonly kind: 'cors';
  /** `*`, exact origins, or one-level wildcards `https://*.example.com[:port]`. */
  readonly allowOrigins: readonly string[];
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly allowCredentials: boolean;
  readonly maxAgeSeconds: number;
}

/** A fixed origin plus a path template (ingress-nginx's mirror-target URL). */
export interface MirrorUrl {
  readonly scheme: 'http' | 'https';
  /** A lower-case DNS name, an IPv4 address or a bracketed IPv6 address (never a variable). */
  readonly host: string;
  readonly port: number;
  /** Path and query of the copy; starts with `/` once rendered. */
  readonly path: Template;
}

/**
 * A copy of the request goes elsewhere and its answer is ignored: Gateway API HTTPRequestMirrorFilter
 * (a backend of the table) or ingress-nginx's mirror-target (a URL). Exactly one of `backendId`, `url`.
 */
export interface MirrorOp {
  readonly kind: 'mirror';
  /** `namespace/service:port` of a backend in the table's backend list. */
  readonly backendId?: string;
  readonly url?: MirrorUrl;
  /** The Host header of the copy (mirror-host); default: the client's Host for a backend, the URL's host for a URL. */
  readonly hostHeader?: string;
  readonly percent: number;
  /** Copy the request body too, as it flows to the real backend (a copy that falls behind is dropped). */
  readonly withBody: boolean;
}

export type RequestOp = BodyLimitOp | RedirectOp | HttpsRedirectOp | RewriteOp | HeaderOp | CorsOp | MirrorOp;

// ── upstream phase ────────────────────────────────────────────────────────────

export interface TimeoutsOp {
  readonly kind: 'timeouts';
  readonly connectMs?: number;
  /** Longest wait between two reads from the backend (and for the response head). */
  readonly readMs?: number;
  /** Longest wait between two writes to the backend. */
  readonly sendMs?: number;
  /**
   * Gateway API `timeouts.request`: the whole request. Kept for display; the interpreter does not enforce
   * it on its own (the Gateway translation also sets `readMs` from it).
   */
  readonly requestMs?: number;
}

export interface UpstreamTlsOp {
  readonly kind: 'upstream-tls';
  /** Verify the pod's certificate against `caPem` (off: encrypt only, as ingress-nginx's default). */
  readonly verify: boolean;
  readonly caPem?: string;
  readonly certPem?: string;
  readonly keyPem?: string;
  /** The name checked in the certificate and sent as SNI (when `sni`). */
  readonly serverName?: string;
  readonly sni: boolean;
  /** `namespace/name` of the Secret the PEMs came from, for display. */
  readonly secret?: string;
}

export interface RetryOp {
  readonly kind: 'retry';
  /** Total attempts, the first included. */
  readonly attempts: number;
  /** Also retry on these backend statuses (idempotent requests only). */
  readonly onStatus: readonly number[];
  /** No retry starts after this long (0 = the global budget). */
  readonly budgetMs: number;
}

export interface AffinityCookieOp {
  readonly kind: 'affinity-cookie';
  readonly name: string;
  readonly path: string;
  readonly maxAgeSeconds?: number;
  readonly secure: boolean;
  readonly sameSite?: 'None' | 'Lax' | 'Strict';
  readonly domain?: string;
}

export type UpstreamOp = TimeoutsOp | UpstreamTlsOp | RetryOp | AffinityCookieOp;

// ── response phase ────────────────────────────────────────────────────────────

export interface ErrorPagesOp {
  readonly kind: 'error-pages';
  /** Backend answers with these statuses are replaced by the error backend's page. */
  readonly statuses: readonly number[];
  /** Also answer from the error backend when the route's Service has no ready endpoints (503). */
  readonly onNoEndpoints: boolean;
  /** `namespace/service:port` that renders them (X-Code, X-Original-URI… as ingress-nginx sends). */
  readonly backendId: string;
}

/**
 * Rewrites what the backend says about itself (nginx proxy_redirect, proxy_cookie_domain,
 * proxy_cookie_path): Location/Refresh values starting with `location.from`, and Set-Cookie Domain and
 * Path attributes equal to (Domain, case-insensitive) or starting with (Path) `from`.
 */
export interface BackendHeaderRewriteOp {
  readonly kind: 'backend-header-rewrite';
  readonly location?: { readonly from: string; readonly to: string };
  readonly cookieDomain?: { readonly from: string; readonly to: string };
  readonly cookiePath?: { readonly from: string; readonly to: string };
}

export type ResponseOp = HeaderOp | ErrorPagesOp | BackendHeaderRewriteOp;

// ── the policy ────────────────────────────────────────────────────────────────

export interface TrafficPolicy {
  readonly access: readonly AccessOp[];
  readonly request: readonly RequestOp[];
  readonly upstream: readonly UpstreamOp[];
  readonly response: readonly ResponseOp[];
}

export type PolicyOp = AccessOp | RequestOp | UpstreamOp | ResponseOp;
export type Phase = keyof TrafficPolicy;

export const EMPTY_TRAFFIC_POLICY: TrafficPolicy = Object.freeze({
  access: Object.freeze([]),
  request: Object.freeze([]),
  upstream: Object.freeze([]),
  response: Object.freeze([]),
});

export function isEmptyPolicy(p: TrafficPolicy): boolean {
  return p.access.length === 0 && p.request.length === 0 && p.upstream.length === 0 && p.response.length === 0;
}

/** The phase an operation belongs to (a few kinds, like `headers`, exist in two). */
export function phaseOf(op: PolicyOp, hint?: Phase): Phase {
  switch (op.kind) {
    case 'source-range': case 'basic-auth': case 'forward-auth': case 'rate-limit': case 'connection-limit': case 'fail-closed': case 'client-cert': case 'any-of':
      return 'access';
    case 'body-limit': case 'redirect': case 'https-redirect': case 'rewrite': case 'cors': case 'mirror':
      return 'request';
    case 'timeouts': case 'upstream-tls': case 'retry': case 'affinity-cookie':
      return 'upstream';
    case 'error-pages': case 'backend-header-rewrite':
      return 'response';
    case 'headers':
      return hint ?? 'request';
  }
}

/** Builds a frozen policy from operations in any order; within a phase, order is kept. */
export function buildPolicy(ops: readonly { readonly op: PolicyOp; readonly phase?: Phase }[]): TrafficPolicy {
  if (ops.length === 0) return EMPTY_TRAFFIC_POLICY;
  const out: { [P in Phase]: PolicyOp[] } = { access: [], request: [], upstream: [], response: [] };
  for (const { op, phase } of ops) out[phaseOf(op, phase)].push(Object.freeze(op));
  return Object.freeze({
    access: Object.freeze(out.access as AccessOp[]),
    request: Object.freeze(out.request as RequestOp[]),
    upstream: Object.freeze(out.upstream as UpstreamOp[]),
    response: Object.freeze(out.response as ResponseOp[]),
  });
}
