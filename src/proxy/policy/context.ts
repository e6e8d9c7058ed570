import type { HeaderValue } from '../../routing/policy.ts';
import type { Route } from '../../routing/types.ts';
import type { DownstreamRequest } from '../downstream.ts';
import type { ProxyError } from '../errors.ts';

/**
 * What the policy phases of one request know and change. Built once per request that has a policy;
 * the forwarding code reads the result (path, Host, extra headers, response edits) and nothing else.
 */
export interface PolicyContext {
  readonly route: Route;
  readonly req: DownstreamRequest;
  readonly scheme: 'http' | 'https';
  readonly clientIp: string;
  /** The Host header as the client sent it (port included). */
  readonly rawHost: string;
  /** The request target as received (`/path?query`). */
  readonly requestUri: string;
  /** Path and query (without `?`) as the backend will get them: rewrites change these. */
  path: string;
  query: string;
  /** Regex captures of the route's path pattern, for `$1…$9` in templates. */
  captures: readonly string[] | undefined;
  /** The Host the backend sees (upstream-vhost, URLRewrite hostname). */
  upstreamHost: string | undefined;
  /** Request headers to remove, then set (replacing), then add, in this order. */
  readonly removeRequest: string[];
  readonly setRequest: HeaderValue[];
  readonly addRequest: HeaderValue[];
  /** Response headers, same order. */
  readonly removeResponse: string[];
  readonly setResponse: HeaderValue[];
  readonly addResponse: HeaderValue[];
  /** Largest request body (0 = unlimited). */
  maxBodyBytes: number;
  /** Undone when the response closes (connection limits). */
  readonly onDone: (() => void)[];
  /** Called with each request body chunk as it is handed to the backend, then null at its end (mirror copies). */
  readonly bodyTaps: ((chunk: Buffer | null) => void)[];
}

/** An answer a policy gives instead of forwarding. */
export type PolicyAnswer =
  | { readonly kind: 'error'; readonly error: ProxyError; readonly headers?: Readonly<Record<string, string>> }
  | { readonly kind: 'respond'; readonly status: number; readonly headers: Readonly<Record<string, string>> };

export function newPolicyContext(route: Route, req: DownstreamRequest, scheme: 'http' | 'https', clientIp: string, rawHost: string): PolicyContext {
  const requestUri = req.url ?? '/';
  const q = requestUri.indexOf('?');
  return {
    route, req, scheme, clientIp, rawHost, requestUri,
    path: q === -1 ? requestUri : requestUri.slice(0, q),
    query: q === -1 ? '' : requestUri.slice(q + 1),
    captures: undefined,
    upstreamHost: undefined,
    removeRequest: [], setRequest: [], addRequest: [],
    removeResponse: [], setResponse: [], addResponse: [],
    maxBodyBytes: 0,
    onDone: [],
    bodyTaps: [],
  };
}

/** The request target the backend gets. */
export function upstreamTarget(ctx: PolicyContext): string {
  return ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`;
}
