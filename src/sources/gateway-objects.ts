/**
 * The Gateway API objects RAUTA reads (gateway.networking.k8s.io, standard channel), trimmed to the
 * fields it uses. Every field is optional and untrusted: in standalone mode nothing validated the YAML
 * against the CRD schema, so translation checks each value's type before it uses it.
 */
import type { ObjectMeta } from './object-set.ts';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';

export interface LabelSelectorRequirement { key?: string; operator?: string; values?: string[] }
export interface LabelSelector { matchLabels?: Record<string, string>; matchExpressions?: LabelSelectorRequirement[] }

export interface GatewayClass {
  apiVersion?: string;
  kind?: 'GatewayClass';
  metadata: ObjectMeta;
  spec?: { controllerName?: string; description?: string };
  status?: Record<string, unknown>;
}

export interface SecretObjectReference { group?: string; kind?: string; name?: string; namespace?: string }
export interface RouteGroupKindRef { group?: string; kind?: string }

export interface Listener {
  name?: string;
  hostname?: string;
  port?: number;
  protocol?: string;
  tls?: { mode?: string; certificateRefs?: SecretObjectReference[] };
  allowedRoutes?: {
    namespaces?: { from?: string; selector?: LabelSelector };
    kinds?: RouteGroupKindRef[];
  };
}

export interface Gateway {
  apiVersion?: string;
  kind?: 'Gateway';
  metadata: ObjectMeta;
  spec?: { gatewayClassName?: string; listeners?: Listener[]; addresses?: { type?: string; value?: string }[] };
  status?: Record<string, unknown>;
}

export interface ParentRef { group?: string; kind?: string; namespace?: string; name?: string; sectionName?: string; port?: number }

export interface HTTPHeader { name?: string; value?: string }
export interface HeaderModifier { set?: HTTPHeader[]; add?: HTTPHeader[]; remove?: string[] }
export interface PathModifier { type?: string; replaceFullPath?: string; replacePrefixMatch?: string }
export interface BackendObjectReference { group?: string; kind?: string; name?: string; namespace?: string; port?: number }

export interface HTTPRouteFilter {
  type?: string;
  requestHeaderModifier?: HeaderModifier;
  responseHeaderModifier?: HeaderModifier;
  requestRedirect?: { scheme?: string; hostname?: string; path?: PathModifier; port?: number; statusCode?: number };
  urlRewrite?: { hostname?: string; path?: PathModifier };
  requestMirror?: { backendRef?: BackendObjectReference; percent?: number; fraction?: { numerator?: number; denominator?: number } };
  cors?: {
    allowOrigins?: string[];
    allowCredentials?: boolean;
    allowMethods?: string[];
    allowHeaders?: string[];
    exposeHeaders?: string[];
    maxAge?: number;
  };
  extensionRef?: { group?: string; kind?: string; name?: string };
}

export interface StringMatchSpec { type?: string; name?: string; value?: string }

export interface HTTPRouteMatch {
  path?: { type?: string; value?: string };
  headers?: StringMatchSpec[];
  queryParams?: StringMatchSpec[];
  method?: string;
}

export interface HTTPBackendRef extends BackendObjectReference {
  weight?: number;
  filters?: HTTPRouteFilter[];
}

export interface HTTPRouteRule {
  name?: string;
  matches?: HTTPRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: HTTPBackendRef[];
  timeouts?: { request?: string; backendRequest?: string };
}

export interface HTTPRoute {
  apiVersion?: string;
  kind?: 'HTTPRoute';
  metadata: ObjectMeta;
  spec?: { parentRefs?: ParentRef[]; hostnames?: string[]; rules?: HTTPRouteRule[] };
  status?: { parents?: Record<string, unknown>[] };
}

export interface GRPCRouteMatch {
  method?: { type?: string; service?: string; method?: string };
  headers?: StringMatchSpec[];
}

export interface GRPCRouteRule {
  name?: string;
  matches?: GRPCRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: HTTPBackendRef[];
}

export interface GRPCRoute {
  apiVersion?: string;
  kind?: 'GRPCRoute';
  metadata: ObjectMeta;
  spec?: { parentRefs?: ParentRef[]; hostnames?: string[]; rules?: GRPCRouteRule[] };
  status?: { parents?: Record<string, unknown>[] };
}

export interface ReferenceGrant {
  apiVersion?: string;
  kind?: 'ReferenceGrant';
  metadata: ObjectMeta;
  spec?: { from?: { group?: string; kind?: string; namespace?: string }[]; to?: { group?: string; kind?: string; name?: string }[] };
}

/** Only the labels matter (Gateway listeners' allowedRoutes.namespaces.selector). */
export interface Namespace {
  apiVersion?: string;
  kind?: 'Namespace';
  metadata: ObjectMeta;
}

/** The Gateway API part of an ObjectSet. Absent (Ingress-only) when the CRDs are not installed. */
export interface GatewayObjects {
  readonly gatewayClasses?: readonly GatewayClass[];
  readonly gateways?: readonly Gateway[];
  readonly httpRoutes?: readonly HTTPRoute[];
  readonly grpcRoutes?: readonly GRPCRoute[];
  readonly referenceGrants?: readonly ReferenceGrant[];
  readonly namespaces?: readonly Namespace[];
}
