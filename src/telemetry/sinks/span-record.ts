/**
 * One traced request as a run of primitives in a flat array: what crosses from the proxy thread to the
 * export worker. Structured clone of nested span objects (attribute keys repeated in every span) cost
 * the proxy thread ~7% of its time; a flat run of ~30 values per request clones in a fraction of that,
 * and the SERVER and CLIENT spans, their attributes and HrTimes are built in the worker instead.
 *
 * Layout: the HEADER fields below, then ATTEMPT fields per upstream attempt. Absent values are null.
 * Times are epoch milliseconds (each thread has its own performance.timeOrigin).
 */
export type SpanValue = string | number | boolean | null;

export interface RequestSpanInput {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | null;
  readonly parentFlags: number;
  /** Serialized `tracestate` of the incoming parent, carried on every span of the request. */
  readonly traceState: string | null;
  readonly startMs: number;
  readonly endMs: number;
  readonly method: string;
  readonly statusCode: number;
  /** Path without the query (url.path, and http.target on CLIENT spans). */
  readonly path: string;
  readonly scheme: string;
  /** The SERVER span's http.target: with the query when RAUTA_EVENT_INCLUDE_QUERY is on. */
  readonly target: string;
  readonly host: string;
  readonly clientIp: string;
  readonly protocol: string;
  readonly userAgent: string;
  readonly requestId: string;
  readonly routePath: string | null;
  /** The Ingress's namespace (event context.namespace). */
  readonly namespace: string | null;
  readonly ingress: string | null;
  readonly service: string | null;
  /** The backend Service's namespace (CLIENT spans' k8s.namespace.name). */
  readonly backendNamespace: string | null;
  readonly pod: string | null;
  readonly podIp: string | null;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  /** The event's severity is error: the SERVER span's status is ERROR. */
  readonly failed: boolean;
  /** Gateway API routes: HTTPRoute or GRPCRoute (null for Ingress routes and unmatched requests). */
  readonly routeKind: string | null;
  /** Gateway API routes: the rule's name or index. */
  readonly routeRule: string | null;
}

export interface AttemptSpanInput {
  readonly spanId: string;
  readonly attempt: number;
  readonly ip: string;
  readonly port: number;
  readonly pod: string | null;
  readonly startMs: number;
  readonly endMs: number;
  readonly statusCode: number | null;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
}

/** Where each field of a request sits in its run: the order pushRequestSpans writes them in. */
export const REQ = Object.freeze({
  traceId: 0,
  spanId: 1,
  parentSpanId: 2,
  parentFlags: 3,
  traceState: 4,
  startMs: 5,
  endMs: 6,
  method: 7,
  statusCode: 8,
  path: 9,
  scheme: 10,
  target: 11,
  host: 12,
  clientIp: 13,
  protocol: 14,
  userAgent: 15,
  requestId: 16,
  routePath: 17,
  namespace: 18,
  ingress: 19,
  service: 20,
  backendNamespace: 21,
  pod: 22,
  podIp: 23,
  errorCode: 24,
  errorMessage: 25,
  failed: 26,
  routeKind: 27,
  routeRule: 28,
  attempts: 29,
});
/** Where each field of an attempt sits, counted from the attempt's start. */
export const ATT = Object.freeze({
  spanId: 0,
  attempt: 1,
  ip: 2,
  port: 3,
  pod: 4,
  startMs: 5,
  endMs: 6,
  statusCode: 7,
  errorCode: 8,
  errorMessage: 9,
});
export const HEADER = REQ.attempts + 1;
export const ATTEMPT = ATT.errorMessage + 1;

/** Appends one request (SERVER span + its attempts) to `out`. */
export function pushRequestSpans(out: SpanValue[], r: RequestSpanInput, attempts: readonly AttemptSpanInput[]): void {
  out.push(
    r.traceId, r.spanId, r.parentSpanId, r.parentFlags, r.traceState, r.startMs, r.endMs, r.method, r.statusCode, r.path,
    r.scheme, r.target, r.host, r.clientIp, r.protocol, r.userAgent, r.requestId, r.routePath, r.namespace, r.ingress,
    r.service, r.backendNamespace, r.pod, r.podIp, r.errorCode, r.errorMessage, r.failed, r.routeKind, r.routeRule, attempts.length,
  );
  for (const a of attempts) pushAttempt(out, a);
}

/** Appends one upstream attempt in the ATT layout (also used by the proxy → telemetry hand-off). */
export function pushAttempt(out: SpanValue[], a: AttemptSpanInput): void {
  out.push(a.spanId, a.attempt, a.ip, a.port, a.pod, a.startMs, a.endMs, a.statusCode, a.errorCode, a.errorMessage);
}

/** Reads back the attempt that pushAttempt wrote at `i`. */
export function readAttempt(v: readonly SpanValue[], i: number): AttemptSpanInput {
  return {
    spanId: v[i + ATT.spanId] as string, attempt: v[i + ATT.attempt] as number, ip: v[i + ATT.ip] as string, port: v[i + ATT.port] as number,
    pod: v[i + ATT.pod] as string | null, startMs: v[i + ATT.startMs] as number, endMs: v[i + ATT.endMs] as number,
    statusCode: v[i + ATT.statusCode] as number | null, errorCode: v[i + ATT.errorCode] as string | null, errorMessage: v[i + ATT.errorMessage] as string | null,
  };
}
