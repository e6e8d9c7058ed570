import { createHash } from 'node:crypto';
import type { SecureClientSessionOptions } from 'node:http2';
import type { Dispatcher } from 'undici';
import type { AffinityCookieOp, UpstreamOp, UpstreamTlsOp } from '../../routing/policy.ts';
import type { Endpoint, Route } from '../../routing/types.ts';
import type { PolicyContext } from './context.ts';
import type { PolicyRuntime } from './runtime.ts';

/** How the attempts of one request talk to the backend, after the route's upstream operations. */
export interface UpstreamPlan {
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly maxAttempts: number;
  readonly retryBudgetMs: number | undefined;
  /** Set when the route needs its own client (upstream TLS or its own connect timeout). */
  readonly dispatcher: Dispatcher | undefined;
  readonly scheme: 'http' | 'https';
  readonly affinity: AffinityCookieOp | undefined;
  /** HTTP/2 (gRPC) over TLS to the pod: session options for the h2 pool. */
  readonly h2Tls: { readonly id: string; readonly options: SecureClientSessionOptions } | undefined;
}

export interface UpstreamDefaults {
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly retryBudgetMs: number | undefined;
}

/** Folds the upstream operations into one plan: later operations win over earlier ones, field by field. */
export function upstreamPlan(route: Route, ops: readonly UpstreamOp[], d: UpstreamDefaults, rt: PolicyRuntime): UpstreamPlan {
  let connectTimeoutMs = d.connectTimeoutMs;
  let responseTimeoutMs = d.responseTimeoutMs;
  let maxAttempts = 1 + route.policy.retries;
  let retryBudgetMs = d.retryBudgetMs;
  let tls: UpstreamTlsOp | undefined;
  let affinity: AffinityCookieOp | undefined;
  let ownConnect = false;
  for (const op of ops) {
    switch (op.kind) {
      case 'timeouts':
        if (op.connectMs !== undefined) { connectTimeoutMs = op.connectMs; ownConnect = op.connectMs !== d.connectTimeoutMs; }
        if (op.readMs !== undefined) responseTimeoutMs = op.readMs;
        break;
      case 'retry':
        maxAttempts = op.attempts;
        if (op.budgetMs > 0) retryBudgetMs = op.budgetMs;
        break;
      case 'upstream-tls': tls = op; break;
      case 'affinity-cookie': affinity = op; break;
    }
  }
  const dispatcher = tls !== undefined || ownConnect ? rt.dispatcherFor(tls, connectTimeoutMs) : undefined;
  const h2Tls = tls === undefined ? undefined : rt.h2TlsFor(tls);
  return { connectTimeoutMs, responseTimeoutMs, maxAttempts, retryBudgetMs, dispatcher, scheme: tls ? 'https' : 'http', affinity, h2Tls };
}

/** The opaque cookie value naming an endpoint (a hash: pod addresses are not told to clients). */
export function affinityValue(endpoint: Endpoint): string {
  return createHash('sha256').update(endpoint.key).digest('hex').slice(0, 16);
}

/**
 * The endpoint the client's affinity cookie names, when it is still ready and was not tried already in
 * this request; otherwise undefined and the balancer picks (the cookie is then re-issued).
 */
export function stickyEndpoint(op: AffinityCookieOp, ctx: PolicyContext, tried: ReadonlySet<string> | undefined): Endpoint | undefined {
  const value = cookieValue(ctx.req.headers.cookie, op.name);
  if (value === undefined) return undefined;
  for (const e of ctx.route.backend.endpoints) {
    if (e.ready && !tried?.has(e.key) && affinityValue(e) === value) return e;
  }
  return undefined;
}

export function affinityCookie(op: AffinityCookieOp, endpoint: Endpoint): string {
  let c = `${op.name}=${affinityValue(endpoint)}; Path=${op.path}; HttpOnly`;
  if (op.maxAgeSeconds !== undefined) c += `; Max-Age=${op.maxAgeSeconds}`;
  if (op.domain !== undefined) c += `; Domain=${op.domain}`;
  if (op.secure) c += '; Secure';
  if (op.sameSite !== undefined) c += `; SameSite=${op.sameSite}`;
  return c;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
