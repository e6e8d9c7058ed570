import { performance } from 'node:perf_hooks';
import type { Endpoint } from '../routing/types.ts';
import type { AttemptOutcomeSink } from './health/backend-health.ts';
import { ErrorKinds, type ProxyError } from './errors.ts';
import type { AttemptResult } from './forward.ts';
import type { InFlight } from './in-flight.ts';
import type { RequestObserver, RequestRecord } from './request-record.ts';

/** What every protocol's attempts report to: least-request accounting, telemetry, passive health. */
export interface AttemptDeps {
  readonly inFlight: InFlight;
  readonly observer: RequestObserver;
  readonly health?: AttemptOutcomeSink;
}

/** One request's attempts, as its protocol and route's policy want them. */
export interface AttemptPlan {
  /** 1 + the route's retries. */
  readonly maxAttempts: number;
  /** No retry starts once the attempts took this long (the per-request retry budget). */
  readonly retryBudgetMs: number | undefined;
  /** True when the request may be retried on a failure the backend could have acted on (see `retryable`). */
  readonly idempotent: boolean;
  /** The next endpoint, never one in `tried`; undefined when none is left. */
  pick(tried: ReadonlySet<string> | undefined): Endpoint | undefined;
  /** The protocol's forward function: one attempt against one endpoint (HTTP/1.1, h2c, WebSocket…). */
  forward(endpoint: Endpoint, attempt: number): Promise<AttemptResult>;
  /** True when the request was already answered another way (a body limit): no retry, no error. */
  answered?(): boolean;
}

/**
 * The one attempt loop, shared by HTTP/1.1, HTTP/2, h2c/gRPC and WebSocket: pick → forward → account →
 * retry or stop. Every attempt, whatever its protocol, is counted in flight for least-request (released
 * in a `finally`, so a throwing forward function cannot leak it), timed into the record's upstream
 * duration, reported to telemetry and to passive health, and judged by the same retry rule and budget.
 *
 * Resolves undefined when an attempt answered the client (or the client left, recorded on `rec`), else
 * the error the client should get.
 */
export async function runAttempts(deps: AttemptDeps, rec: RequestRecord, plan: AttemptPlan, noEndpoint: () => ProxyError): Promise<ProxyError | undefined> {
  let tried: Set<string> | undefined;
  let lastError: ProxyError | undefined;
  let upstreamMs = rec.upstreamDurationMs ?? 0;
  while (rec.attempts < plan.maxAttempts) {
    const endpoint = plan.pick(tried);
    if (endpoint === undefined) break;
    rec.attempts++;
    rec.endpoint = endpoint;
    const started = performance.now();
    deps.inFlight.inc(endpoint.key);
    let result: AttemptResult;
    try {
      result = await plan.forward(endpoint, rec.attempts);
    } finally {
      deps.inFlight.dec(endpoint.key);
      upstreamMs += performance.now() - started;
      rec.upstreamDurationMs = upstreamMs;
    }
    if (result.grpcStatus !== undefined) rec.grpcStatus = result.grpcStatus;
    deps.observer.attemptFinished(rec, endpoint, result.error, result.statusCode);
    deps.health?.attemptFinished(endpoint, result.error, result.statusCode);

    if (result.error === undefined || plan.answered?.()) return undefined;
    lastError = result.error;
    if (result.error.kind === ErrorKinds.clientAborted) {
      rec.error = result.error;
      return undefined;
    }
    if (!retryable(plan.idempotent, result)) break;
    (tried ??= new Set()).add(endpoint.key);
    if (upstreamMs >= (plan.retryBudgetMs ?? Number.POSITIVE_INFINITY)) break;
  }
  return lastError ?? noEndpoint();
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Methods a reset before any response may retry (RFC 9110 §9.2.2), when no body byte was sent. */
export function idempotentRequest(method: string, hasBody: boolean): boolean {
  return IDEMPOTENT.has(method) && !hasBody;
}

/**
 * Retry only when the backend cannot have acted on the request: the connection never came up (or RAUTA
 * refused the attempt before sending anything), or it was reset before any response byte for an
 * idempotent request whose body (if any) was not sent.
 */
export function retryable(idempotent: boolean, r: AttemptResult): boolean {
  if (r.responded || r.error === undefined) return false;
  if (r.error.kind.retryable) return true;
  return r.error.kind === ErrorKinds.upstreamReset && idempotent && !r.bodySent;
}
