import { type Attributes, type HrTime, ROOT_CONTEXT, type SpanContext, SpanKind, SpanStatusCode, createTraceState, trace } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { type ReadableSpan, type Sampler, SamplingDecision, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { performance } from 'node:perf_hooks';
import type { ProxyError } from '../proxy/errors.ts';
import type { RequestRecord } from '../proxy/request-record.ts';
import type { Endpoint } from '../routing/types.ts';
import type { RequestEvent } from './request-event.ts';
import { TraceIdSource, formatTraceparent, parseTraceparent } from './trace-context.ts';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** The tracing half of the request observer. */
export interface RequestTracing {
  /** Sets `rec.traceId` / `rec.spanId` (always) and begins the SERVER span (when tracing is on). */
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

interface AttemptSpan {
  readonly spanId: string;
  readonly attempt: number;
  readonly endpoint: Endpoint;
  readonly startHr: number;
  endHr: number | undefined;
  statusCode: number | undefined;
  error: ProxyError | undefined;
}

/** Per-request trace state, kept in `rec.telemetry`. */
class RequestTrace {
  readonly flags: number;
  readonly parent: SpanContext | undefined;
  readonly traceStateHeader: string | undefined;
  readonly attempts: AttemptSpan[] = [];
  constructor(flags: number, parent: SpanContext | undefined, traceStateHeader: string | undefined) {
    this.flags = flags;
    this.parent = parent;
    this.traceStateHeader = traceStateHeader;
  }
}

/** performance.now()-based ms → OTel HrTime (epoch seconds, nanoseconds). */
function hrTime(hr: number): HrTime {
  const ms = performance.timeOrigin + hr;
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

export interface SpanPipeline {
  readonly processor: SpanProcessor;
  readonly sampler: Sampler;
  readonly resource: Resource;
  /** Stops the export machinery at once (after the bounded final flush). */
  terminate?(): Promise<void>;
}

const SCOPE = { name: 'rauta' };

/**
 * Tracing on: a SERVER span per request (`METHOD <route path>`) and a CLIENT span per upstream attempt,
 * whose context goes upstream as `traceparent` so the backend's spans join the trace. Attributes carry
 * both the stable HTTP semantic conventions and the older names URPO queries.
 *
 * Span ids are drawn when the request starts (the CLIENT span's id must be in the upstream
 * `traceparent`), but the spans themselves are written once, in `finish`, from the request event, and
 * handed to the SDK's BatchSpanProcessor and OTLP exporter. This skips the SDK's live Span objects
 * (context objects, per-attribute validation, clock reads) on the request path; the sampler, the
 * bounded export queue and the exporters are the SDK's own.
 */
export class OtelTracing implements RequestTracing {
  private readonly ids = new TraceIdSource();
  private readonly pipeline: SpanPipeline;
  private readonly includeQuery: boolean;

  constructor(pipeline: SpanPipeline, includeQuery: boolean) {
    this.pipeline = pipeline;
    this.includeQuery = includeQuery;
  }

  start(rec: RequestRecord, headers: Headers): void {
    const incoming = parseTraceparent(headers.traceparent, headers.tracestate);
    const parent: SpanContext | undefined = incoming === undefined ? undefined : {
      traceId: incoming.traceId,
      spanId: incoming.spanId,
      traceFlags: incoming.flags & 1,
      isRemote: true,
      traceState: incoming.traceState === undefined ? undefined : createTraceState(incoming.traceState),
    };
    const traceId = incoming?.traceId ?? this.ids.traceId();
    const ctx = parent === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, parent);
    const decision = this.pipeline.sampler.shouldSample(ctx, traceId, rec.method, SpanKind.SERVER, {}, []).decision;
    rec.traceId = traceId;
    rec.spanId = this.ids.spanId();
    rec.telemetry = new RequestTrace(decision === SamplingDecision.RECORD_AND_SAMPLED ? 1 : 0, parent, incoming?.traceState);
  }

  upstreamHeaders(rec: RequestRecord, attempt: number, endpoint: Endpoint): readonly string[] | undefined {
    const st = rec.telemetry;
    if (!(st instanceof RequestTrace)) return undefined;
    const spanId = this.ids.spanId();
    st.attempts.push({ spanId, attempt, endpoint, startHr: performance.now(), endHr: undefined, statusCode: undefined, error: undefined });
    const out = ['traceparent', formatTraceparent(rec.traceId ?? '', spanId, st.flags)];
    if (st.traceStateHeader !== undefined) out.push('tracestate', st.traceStateHeader);
    return out;
  }

  attemptFinished(rec: RequestRecord, _endpoint: Endpoint, error: ProxyError | undefined, statusCode: number | undefined): void {
    const st = rec.telemetry;
    if (!(st instanceof RequestTrace)) return;
    const a = st.attempts[st.attempts.length - 1];
    if (a === undefined || a.endHr !== undefined) return;
    a.endHr = performance.now();
    a.statusCode = statusCode;
    a.error = error;
  }

  finish(rec: RequestRecord, e: RequestEvent): void {
    const st = rec.telemetry;
    if (!(st instanceof RequestTrace) || st.flags === 0) return;
    const endHr = rec.startedHr + rec.durationMs;
    const server: SpanContext = { traceId: e.context.trace_id, spanId: e.context.span_id, traceFlags: 1, traceState: st.parent?.traceState };
    this.pipeline.processor.onEnd(this.span(
      e.data.route !== undefined ? `${e.data.method} ${e.data.route.path}` : e.data.method,
      SpanKind.SERVER, server, st.parent, rec.startedHr, endHr, this.serverAttributes(rec, e),
      e.severity === 'error' ? { code: SpanStatusCode.ERROR, message: e.error?.message } : { code: SpanStatusCode.UNSET },
    ));
    for (const a of st.attempts) {
      // An attempt still open at finish ended with the request (a client abort).
      const error = a.endHr === undefined ? rec.error : a.error;
      const failed = error !== undefined || (a.statusCode !== undefined && a.statusCode >= 500);
      const attrs: Attributes = {
        'http.request.method': e.data.method,
        'http.method': e.data.method,
        'server.address': a.endpoint.ip,
        'server.port': a.endpoint.port,
        'url.path': rec.path,
        'http.target': rec.path,
      };
      if (a.attempt > 1) attrs['http.request.resend_count'] = a.attempt - 1;
      if (a.endpoint.pod !== undefined) attrs['k8s.pod.name'] = a.endpoint.pod;
      if (rec.route !== undefined) {
        attrs['k8s.namespace.name'] = rec.route.backend.namespace;
        attrs['k8s.service.name'] = rec.route.backend.service;
      }
      if (a.statusCode !== undefined) {
        attrs['http.response.status_code'] = a.statusCode;
        attrs['http.status_code'] = a.statusCode;
      }
      if (failed) attrs['error.type'] = error?.kind.code ?? String(a.statusCode);
      this.pipeline.processor.onEnd(this.span(
        e.data.method, SpanKind.CLIENT, { traceId: server.traceId, spanId: a.spanId, traceFlags: 1, traceState: server.traceState }, server,
        a.startHr, a.endHr ?? endHr, attrs, failed ? { code: SpanStatusCode.ERROR, message: error?.message } : { code: SpanStatusCode.UNSET },
      ));
    }
  }

  private serverAttributes(rec: RequestRecord, e: RequestEvent): Attributes {
    const d = e.data;
    const attrs: Attributes = {
      'http.request.method': d.method,
      'http.method': d.method,
      'http.response.status_code': d.status_code,
      'http.status_code': d.status_code,
      'url.path': rec.path,
      'url.scheme': d.scheme,
      'http.scheme': d.scheme,
      'http.target': this.includeQuery && rec.query !== '' ? `${rec.path}?${rec.query}` : rec.path,
      'server.address': stripPort(d.host),
      'client.address': d.client_ip,
      'network.protocol.version': d.protocol.replace('HTTP/', ''),
      'user_agent.original': d.user_agent,
      'rauta.request_id': d.request_id,
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
    return attrs;
  }

  private span(name: string, kind: SpanKind, ctx: SpanContext, parent: SpanContext | undefined, startHr: number, endHr: number, attributes: Attributes, status: ReadableSpan['status']): ReadableSpan {
    const startTime = hrTime(startHr);
    const endTime = hrTime(Math.max(startHr, endHr));
    return {
      name, kind, spanContext: () => ctx, parentSpanContext: parent, startTime, endTime, status, attributes,
      links: [], events: [], duration: hrDuration(startTime, endTime), ended: true,
      resource: this.pipeline.resource, instrumentationScope: SCOPE,
      droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 0,
    };
  }

  async shutdown(timeoutMs = 3000): Promise<void> {
    // The final flush must not hang shutdown when the collector does.
    const timer = new Promise<void>((r) => setTimeout(r, timeoutMs).unref());
    await Promise.race([this.pipeline.processor.shutdown().catch(() => {}), timer]);
    await this.pipeline.terminate?.();
  }
}
