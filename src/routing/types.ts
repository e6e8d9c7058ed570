/**
 * The route table's vocabulary: the only contract between the control plane (sources, translation) and
 * the data plane (proxy). Everything here is plain, serializable data so a table could be shipped to
 * worker processes.
 */
import type { RouteConditions, RouteSource, RouteSplit } from './conditions.ts';
import type { TrafficPolicy } from './policy.ts';
import type { DiagnosticReason } from './reasons.ts';

/** Ingress path types, plus the Gateway API's `RegularExpression` (PathPrefix maps to `Prefix`). */
export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific' | 'RegularExpression';

export interface Endpoint {
  /** `ip:port`: the identity used by health state and Maglev. */
  readonly key: string;
  readonly ip: string;
  readonly port: number;
  /** conditions.ready (missing = ready): only ready endpoints get new requests. */
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly pod?: string;
  readonly podUid?: string;
  readonly node?: string;
  readonly zone?: string;
  /** Relative weight for hashing policies; 1 unless a hint says otherwise. */
  readonly weight: number;
}

export type LoadBalance = 'round-robin' | 'least-request' | 'maglev';
export type HashBy =
  | { readonly kind: 'client-ip' }
  | { readonly kind: 'path' }
  | { readonly kind: 'header'; readonly name: string }
  | { readonly kind: 'cookie'; readonly name: string };
export type BackendProtocol = 'http1' | 'h2c' | 'grpc';

export interface HealthCheck {
  readonly path: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

/** Per-route behaviour, from the Ingress's `rauta.io/*` (and ingress-nginx's) annotations. */
export interface RoutePolicy {
  readonly loadBalance: LoadBalance;
  readonly hashBy?: HashBy;
  readonly retries: number;
  readonly protocol: BackendProtocol;
  readonly healthCheck?: HealthCheck;
  readonly sslRedirect: boolean;
  readonly hsts?: string;
  /** Typed operations in the access → request → upstream → response phases (see policy.ts). */
  readonly traffic?: TrafficPolicy;
}

export interface Backend {
  /** `namespace/service:port`. */
  readonly id: string;
  readonly namespace: string;
  readonly service: string;
  /** The Ingress's service port reference: a number or a port name. */
  readonly servicePort: string;
  readonly endpoints: readonly Endpoint[];
  /**
   * Set when the backend cannot serve at all (unknown service, bad port…); requests get 503, or 500
   * when `status` says so (a Gateway API backendRef that is invalid, per the spec).
   */
  readonly unavailable?: { readonly reason: DiagnosticReason; readonly message: string; readonly status?: 500 | 503 };
}

export interface IngressRef { readonly namespace: string; readonly name: string }

export interface Route {
  /** Namespace and name of the object the route came from (an Ingress, or a Gateway API route). */
  readonly ingress: IngressRef;
  /** Its kind and rule; absent means an Ingress (older tables and tests build routes without it). */
  readonly source?: RouteSource;
  /** Gateway API matches beyond host and path; absent for Ingress routes. */
  readonly conditions?: RouteConditions;
  /** Part of a weighted choice among the routes of the same group (backendRefs of one rule). */
  readonly split?: RouteSplit;
  /** Lower-case host, `*.example.com` for a wildcard, '' for rules without host. */
  readonly host: string;
  readonly path: string;
  readonly pathType: PathType;
  readonly backend: Backend;
  readonly policy: RoutePolicy;
  /** True when an Ingress `spec.tls` entry covers this host. */
  readonly tls: boolean;
}

export type Severity = 'error' | 'warning';

/** Why (part of) an Ingress is not served as written. Shown in /routes, logs, metrics and Events. */
export interface Diagnostic {
  readonly namespace: string;
  /** The object's name (an Ingress unless `kind` says otherwise); '' for problems of no one object. */
  readonly ingress: string;
  /** Absent: an Ingress. Gateway API objects name their kind (Gateway, HTTPRoute, GRPCRoute…). */
  readonly kind?: string;
  readonly severity: Severity;
  /** CamelCase, stable, like a Kubernetes Event reason: one of `Reasons` (routing/reasons.ts). */
  readonly reason: DiagnosticReason;
  readonly message: string;
  readonly field?: string;
}

export interface TlsCertificate {
  /** `namespace/secret`. */
  readonly id: string;
  readonly hosts: readonly string[];
  readonly cert: string;
  readonly key: string;
}
