import { type Attributes, type HrTime, type SpanContext, SpanKind, SpanStatusCode, createTraceState } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

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

/** Epoch ms → OTel HrTime (epoch seconds, nanoseconds). */
function hrTime(ms: number): HrTime {
  const s = Math.floor(ms / 1000);
  const ns = Math.min(999_999_999, Math.round((ms - s * 1000) * 1e6));
  return [s, ns];
}

function hrDuration(start: HrTime, end: HrTime): HrTime {
  let s = end[0] - start[0];
  let ns = end[1] - start[1];
  if (ns < 0) {
    s -= 1;
    ns += 1e9;
  }
  return [s, ns];
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

const SCOPE = { name: 'rauta' };

function span(resource: Resource, name: string, kind: SpanKind, ctx: SpanContext, parent: SpanContext | undefined, startMs: number, endMs: number, attributes: Attributes, status: ReadableSpan['status']): ReadableSpan {
  const startTime = hrTime(startMs);
  const endTime = hrTime(Math.max(startMs, endMs));
  return {
    name, kind, spanContext: () => ctx, parentSpanContext: parent, startTime, endTime, status, attributes,
    links: [], events: [], duration: hrDuration(startTime, endTime), ended: true,
    resource, instrumentationScope: SCOPE,
    droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 0,
  };
}

const str = (v: SpanValue): string => v as string;
const num = (v: SpanValue): number => v as number;

/**
 * Decodes a flat batch into ReadableSpans: per request one SERVER span (`METHOD <route path>`) and one
 * CLIENT span per upstream attempt, with the stable HTTP semantic-convention attributes and the older
 * names URPO queries.
 */
export function readRequestSpans(v: readonly SpanValue[], resource: Resource, emit: (s: ReadableSpan) => void): void {
  for (let i = 0; i < v.length; ) {
    const traceId = str(v[i + REQ.traceId]);
    const traceStateText = v[i + REQ.traceState];
    const traceState = traceStateText === null ? undefined : createTraceState(str(traceStateText));
    const parent: SpanContext | undefined = v[i + REQ.parentSpanId] === null ? undefined
      : { traceId, spanId: str(v[i + REQ.parentSpanId]), traceFlags: num(v[i + REQ.parentFlags]), isRemote: true, traceState };
    const server: SpanContext = { traceId, spanId: str(v[i + REQ.spanId]), traceFlags: 1, traceState };
    const startMs = num(v[i + REQ.startMs]);
    const endMs = num(v[i + REQ.endMs]);
    const method = str(v[i + REQ.method]);
    const statusCode = num(v[i + REQ.statusCode]);
    const path = str(v[i + REQ.path]);
    const scheme = str(v[i + REQ.scheme]);
    const routePath = v[i + REQ.routePath];
    const namespace = v[i + REQ.namespace];
    const service = v[i + REQ.service];
    const backendNamespace = v[i + REQ.backendNamespace];
    const pod = v[i + REQ.pod];
    const podIp = v[i + REQ.podIp];
    const errorCode = v[i + REQ.errorCode];
    const errorMessage = v[i + REQ.errorMessage];
    const attrs: Attributes = {
      'http.request.method': method,
      'http.method': method,
      'http.response.status_code': statusCode,
      'http.status_code': statusCode,
      'url.path': path,
      'url.scheme': scheme,
      'http.scheme': scheme,
      'http.target': str(v[i + REQ.target]),
      'server.address': stripPort(str(v[i + REQ.host])),
      'client.address': str(v[i + REQ.clientIp]),
      'network.protocol.version': str(v[i + REQ.protocol]).replace('HTTP/', ''),
      'user_agent.original': str(v[i + REQ.userAgent]),
      'rauta.request_id': str(v[i + REQ.requestId]),
    };
    if (routePath !== null) {
      attrs['http.route'] = routePath as string;
      const routeKind = v[i + REQ.routeKind];
      if (routeKind === null) attrs['rauta.ingress'] = `${namespace}/${v[i + REQ.ingress]}`;
      else {
        // Gateway API routes say which route and rule served the request.
        attrs['rauta.route.kind'] = routeKind as string;
        attrs['rauta.route.name'] = `${namespace}/${v[i + REQ.ingress]}`;
        if (v[i + REQ.routeRule] !== null) attrs['rauta.route.rule'] = v[i + REQ.routeRule] as string;
      }
      attrs['k8s.namespace.name'] = namespace as string;
    }
    if (service !== null) {
      attrs['k8s.service.name'] = service as string;
      if (pod !== null) attrs['k8s.pod.name'] = pod as string;
      if (podIp !== null) attrs['network.peer.address'] = podIp as string;
    }
    if (errorCode !== null) attrs['error.type'] = errorCode as string;
    emit(span(
      resource, routePath !== null ? `${method} ${routePath}` : method, SpanKind.SERVER, server, parent, startMs, endMs, attrs,
      v[i + REQ.failed] === true ? { code: SpanStatusCode.ERROR, message: (errorMessage ?? undefined) as string | undefined } : { code: SpanStatusCode.UNSET },
    ));
    const attempts = num(v[i + REQ.attempts]);
    i += HEADER;
    for (let a = 0; a < attempts; a++, i += ATTEMPT) {
      const attempt = num(v[i + ATT.attempt]);
      const aPod = v[i + ATT.pod];
      const aStatus = v[i + ATT.statusCode];
      const aCode = v[i + ATT.errorCode];
      const failed = aCode !== null || (aStatus !== null && (aStatus as number) >= 500);
      const ca: Attributes = {
        'http.request.method': method,
        'http.method': method,
        'server.address': str(v[i + ATT.ip]),
        'server.port': num(v[i + ATT.port]),
        'url.path': path,
        'http.target': path,
      };
      if (attempt > 1) ca['http.request.resend_count'] = attempt - 1;
      if (aPod !== null) ca['k8s.pod.name'] = aPod as string;
      if (service !== null) {
        ca['k8s.namespace.name'] = backendNamespace as string;
        ca['k8s.service.name'] = service as string;
      }
      if (aStatus !== null) {
        ca['http.response.status_code'] = aStatus as number;
        ca['http.status_code'] = aStatus as number;
      }
      if (failed) ca['error.type'] = (aCode ?? String(aStatus)) as string;
      emit(span(
        resource, method, SpanKind.CLIENT, { traceId, spanId: str(v[i + ATT.spanId]), traceFlags: 1, traceState }, server,
        num(v[i + ATT.startMs]), num(v[i + ATT.endMs]), ca, failed ? { code: SpanStatusCode.ERROR, message: (v[i + ATT.errorMessage] ?? undefined) as string | undefined } : { code: SpanStatusCode.UNSET },
      ));
    }
  }
}
