import { type Attributes, type HrTime, type SpanContext, SpanKind, SpanStatusCode, createTraceState } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ATT, ATTEMPT, HEADER, REQ, type SpanValue } from './span-record.ts';

// The SDK side of the flat span runs (http/json export), in its own module: the OTel API is loaded only
// by a telemetry thread that exports http/json.

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
