import { type Attributes, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type Tracer, createTraceState, trace } from '@opentelemetry/api';
import type { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { performance } from 'node:perf_hooks';
import type { ProxyError } from '../proxy/errors.ts';
import type { RequestRecord } from '../proxy/request-record.ts';
import type { Endpoint } from '../routing/types.ts';
import type { RequestEvent } from './request-event.ts';
import { type IncomingTrace, TraceIdSource, formatTraceparent, parseTraceparent } from './trace-context.ts';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** The tracing half of the request observer. */
export interface RequestTracing {
  /** Sets `rec.traceId` / `rec.spanId` (always) and opens the SERVER span (when tracing is on). */
  start(rec: RequestRecord, headers: Headers): void;
  upstreamHeaders(rec: RequestRecord, attempt: number, endpoint: Endpoint): readonly string[] | undefined;
  attemptFinished(rec: RequestRecord, endpoint: Endpoint, error: ProxyError | undefined, statusCode: number | undefined): void;
  finish(rec: RequestRecord, event: RequestEvent): void;
  shutdown(): Promise<void>;
}

/**
 * Tracing off: every event still carries a trace id and span id, so events can be joined with logs and
 * with the backend's own traces. An incoming `traceparent` is continued (its trace id, a new span id for
 * RAUTA's hop); otherwise both are fresh. Nothing is injected: `traceparent`/`tracestate` go upstream
 * exactly as the client sent them, since no span with our span id will ever be exported.
 */
export class PassiveTraceIds implements RequestTracing {
  private readonly ids = new TraceIdSource();

  start(rec: RequestRecord, headers: Headers): void {
    const incoming = parseTraceparent(headers.traceparent, headers.tracestate);
    rec.traceId = incoming?.traceId ?? this.ids.traceId();
    rec.spanId = this.ids.spanId();
  }

  upstreamHeaders(): undefined {
    return undefined;
  }

  attemptFinished(): void {}
  finish(): void {}
  async shutdown(): Promise<void> {}
}

class SpanState {
  readonly server: Span;
  readonly flags: number;
  readonly traceState: string | undefined;
  client: Span | undefined;
  constructor(server: Span, flags: number, traceState: string | undefined) {
    this.server = server;
    this.flags = flags;
    this.traceState = traceState;
  }
}

/** Epoch ms with sub-ms precision from the record's monotonic clock. */
const epochMs = (hr: number): number => performance.timeOrigin + hr;

function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/**
 * Tracing on: a SERVER span per request (`METHOD <route path>`) and a CLIENT span per upstream attempt,
 * whose context goes upstream as `traceparent` so the backend's spans join the trace. Attributes carry
 * both the stable HTTP semantic conventions and the older names URPO queries.
 */
export class OtelTracing implements RequestTracing {
  private readonly tracer: Tracer;
  private readonly provider: BasicTracerProvider;
  private readonly includeQuery: boolean;

  constructor(provider: BasicTracerProvider, includeQuery: boolean) {
    this.provider = provider;
    this.tracer = provider.getTracer('rauta');
    this.includeQuery = includeQuery;
  }

  start(rec: RequestRecord, headers: Headers): void {
    const incoming: IncomingTrace | undefined = parseTraceparent(headers.traceparent, headers.tracestate);
    const parent = incoming === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, {
      traceId: incoming.traceId,
      spanId: incoming.spanId,
      traceFlags: incoming.flags & 1,
      isRemote: true,
      traceState: incoming.traceState === undefined ? undefined : createTraceState(incoming.traceState),
    });
    const span = this.tracer.startSpan(rec.method, { kind: SpanKind.SERVER, startTime: epochMs(rec.startedHr) }, parent);
    const sc = span.spanContext();
    rec.traceId = sc.traceId;
    rec.spanId = sc.spanId;
    rec.telemetry = new SpanState(span, sc.traceFlags, incoming?.traceState);
  }

  upstreamHeaders(rec: RequestRecord, attempt: number, endpoint: Endpoint): readonly string[] | undefined {
    const st = rec.telemetry;
    if (!(st instanceof SpanState)) return undefined;
    const attrs: Attributes = {
      'http.request.method': rec.method,
      'http.method': rec.method,
      'server.address': endpoint.ip,
      'server.port': endpoint.port,
      'net.peer.name': endpoint.ip,
      'net.peer.port': endpoint.port,
      'url.path': rec.path,
      'http.target': rec.path,
      'http.request.resend_count': attempt - 1,
    };
    if (endpoint.pod !== undefined) attrs['k8s.pod.name'] = endpoint.pod;
    if (rec.route !== undefined) {
      attrs['k8s.namespace.name'] = rec.route.backend.namespace;
      attrs['k8s.service.name'] = rec.route.backend.service;
    }
    const client = this.tracer.startSpan(rec.method, { kind: SpanKind.CLIENT, attributes: attrs }, trace.setSpan(ROOT_CONTEXT, st.server));
    st.client = client;
    const out = ['traceparent', formatTraceparent(rec.traceId ?? '', client.spanContext().spanId, client.spanContext().traceFlags)];
    if (st.traceState !== undefined) out.push('tracestate', st.traceState);
    return out;
  }

  attemptFinished(rec: RequestRecord, _endpoint: Endpoint, error: ProxyError | undefined, statusCode: number | undefined): void {
    const st = rec.telemetry;
    if (!(st instanceof SpanState) || st.client === undefined) return;
    const client = st.client;
    st.client = undefined;
    if (statusCode !== undefined) {
      client.setAttribute('http.response.status_code', statusCode);
      client.setAttribute('http.status_code', statusCode);
    }
    if (error !== undefined) {
      client.setAttribute('error.type', error.kind.code);
      client.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    } else if (statusCode !== undefined && statusCode >= 500) {
      client.setAttribute('error.type', String(statusCode));
      client.setStatus({ code: SpanStatusCode.ERROR });
    }
    client.end();
  }

  finish(rec: RequestRecord, e: RequestEvent): void {
    const st = rec.telemetry;
    if (!(st instanceof SpanState)) return;
    // A client span left open means the request ended mid-attempt (client abort): close it too.
    if (st.client !== undefined) this.attemptFinished(rec, rec.endpoint as Endpoint, rec.error, undefined);
    const span = st.server;
    if (span.isRecording()) {
      const d = e.data;
      const target = this.includeQuery && rec.query !== '' ? `${rec.path}?${rec.query}` : rec.path;
      const attrs: Attributes = {
        'http.request.method': d.method,
        'http.method': d.method,
        'http.response.status_code': d.status_code,
        'http.status_code': d.status_code,
        'url.path': rec.path,
        'url.scheme': d.scheme,
        'http.scheme': d.scheme,
        'http.target': target,
        'server.address': stripPort(d.host),
        'http.host': d.host,
        'client.address': d.client_ip,
        'network.protocol.version': d.protocol.replace('HTTP/', ''),
        'user_agent.original': d.user_agent,
        'http.request.body.size': d.bytes_in,
        'http.response.body.size': d.bytes_out,
        'rauta.request_id': d.request_id,
        'rauta.attempts': d.attempts,
      };
      if (d.route !== undefined) {
        attrs['http.route'] = d.route.path;
        attrs['rauta.ingress'] = `${e.context.namespace}/${d.route.ingress}`;
        attrs['k8s.namespace.name'] = e.context.namespace;
      }
      if (d.backend !== undefined) {
        attrs['k8s.service.name'] = d.backend.service;
        if (d.backend.pod !== undefined) attrs['k8s.pod.name'] = d.backend.pod;
        if (d.backend.pod_ip !== undefined) attrs['network.peer.address'] = d.backend.pod_ip;
      }
      if (e.error !== undefined) attrs['error.type'] = e.error.code;
      span.setAttributes(attrs);
      span.updateName(d.route !== undefined ? `${d.method} ${d.route.path}` : d.method);
      if (e.severity === 'error') span.setStatus({ code: SpanStatusCode.ERROR, message: e.error?.message });
    }
    span.end(epochMs(rec.startedHr + rec.durationMs));
  }

  async shutdown(timeoutMs = 3000): Promise<void> {
    // The final flush must not hang shutdown when the collector does.
    const timer = new Promise<void>((r) => setTimeout(r, timeoutMs).unref());
    await Promise.race([this.provider.shutdown().catch(() => {}), timer]);
  }
}
