/**
 * What a route asks of a request beyond host and path (Gateway API HTTPRouteMatch / GRPCRouteMatch),
 * and where a route came from. Plain data: regular expressions are kept as their source text and
 * compiled once per table, on the side (see candidates.ts), so a table stays serializable.
 */

/** The API object a route was translated from. */
export type RouteKind = 'Ingress' | 'HTTPRoute' | 'GRPCRoute';

export interface RouteSource {
  readonly kind: RouteKind;
  readonly namespace: string;
  readonly name: string;
  /** Gateway API routes: the rule's `name`, else its index as text. Absent for Ingresses. */
  readonly rule?: string;
}

export type StringMatchType = 'Exact' | 'RegularExpression';

export interface HeaderCondition {
  /** Lower case: HTTP header names compare case-insensitively. */
  readonly name: string;
  readonly type: StringMatchType;
  readonly value: string;
}

export interface QueryCondition {
  /** Compared exactly: query parameter names are case-sensitive (Gateway API HTTPQueryParamMatch). */
  readonly name: string;
  readonly type: StringMatchType;
  readonly value: string;
}

export interface RouteConditions {
  /** Upper-case HTTP method. */
  readonly method?: string;
  readonly headers?: readonly HeaderCondition[];
  readonly query?: readonly QueryCondition[];
  /**
   * Only requests that came in on this listener: a Gateway's HTTP listeners are served on RAUTA's HTTP
   * port and its HTTPS listeners on the HTTPS port, and a route attached to one only is not on the other.
   */
  readonly scheme?: 'http' | 'https';
}

/**
 * Several routes with the same `group` are one weighted choice (an HTTPRoute rule's backendRefs):
 * a request that matches picks one of them in proportion to `weight`; weight 0 never gets traffic.
 */
export interface RouteSplit {
  readonly group: string;
  readonly weight: number;
}

/** The request facts matching needs beyond host and path. */
export interface MatchRequest {
  readonly method: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Raw query string, without `?`. */
  readonly query: string;
  readonly scheme: 'http' | 'https';
}

/** The number of request facts a route's conditions look at, used in precedence (more is more specific). */
export function conditionWeight(c: RouteConditions | undefined): { method: number; headers: number; query: number } {
  return { method: c?.method !== undefined ? 1 : 0, headers: c?.headers?.length ?? 0, query: c?.query?.length ?? 0 };
}
