import { ROOT_CONTEXT, type SpanContext, SpanKind, createTraceState, trace } from '@opentelemetry/api';
import { type Sampler, SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { performance } from 'node:perf_hooks';
import type { ProxyError } from '../proxy/errors.ts';
import type { RequestRecord } from '../proxy/request-record.ts';
import type { Endpoint } from '../routing/types.ts';
import type { RequestEvent } from './request-event.ts';
import type { AttemptSpanInput, RequestSpanInput } from './sinks/span-record.ts';
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

/** performance.now() ms → epoch ms: the export worker has its own time origin. */
const epochMs = (hr: number): number => performance.timeOrigin + hr;

/** Where finished traced requests go: the export worker (sinks/worker-exporter.ts), or a test double. */
export interface SpanPipeline {
  readonly sampler: Sampler;
  /** One sampled request: its SERVER span and one CLIENT span per attempt. Never throws, never blocks. */
  add(request: RequestSpanInput, attempts: readonly AttemptSpanInput[]): void;
  /** Flushes what is queued (bounded by `timeoutMs`) and stops the export machinery. */
  shutdown(timeoutMs: number): Promise<void>;
}

/**
 * Tracing on: a SERVER span per request (`METHOD <route path>`) and a CLIENT span per upstream attempt,
 * whose context goes upstream as `traceparent` so the backend's spans join the trace. Attributes carry
 * both the stable HTTP semantic conventions and the older names URPO queries.
 *
 * Span ids are drawn when the request starts (the CLIENT span's id must be in the upstream
 * `traceparent`), but the spans themselves are described once, in `finish`, from the request event, as
 * plain values for the export worker, which builds them and runs the SDK's BatchSpanProcessor and OTLP
 * exporter. This skips the SDK's live Span objects (context objects, per-attribute validation, clock
 * reads) on the request path, and the span objects altogether on the proxy thread; the sampler, the
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
    const d = e.data;
    const route = rec.route;
    const attempts: AttemptSpanInput[] = [];
    for (const a of st.attempts) {
      // An attempt still open at finish ended with the request (a client abort).
      const error = a.endHr === undefined ? rec.error : a.error;
      attempts.push({
        spanId: a.spanId, attempt: a.attempt, ip: a.endpoint.ip, port: a.endpoint.port, pod: a.endpoint.pod ?? null,
        startMs: epochMs(a.startHr), endMs: epochMs(a.endHr ?? endHr), statusCode: a.statusCode ?? null,
        errorCode: error?.kind.code ?? null, errorMessage: error?.message ?? null,
      });
    }
    this.pipeline.add({
      traceId: e.context.trace_id,
      spanId: e.context.span_id,
      parentSpanId: st.parent?.spanId ?? null,
      parentFlags: st.parent?.traceFlags ?? 0,
      traceState: st.parent?.traceState?.serialize() ?? null,
      startMs: epochMs(rec.startedHr),
      endMs: epochMs(endHr),
      method: d.method,
      statusCode: d.status_code,
      path: rec.path,
      scheme: d.scheme,
      target: this.includeQuery && rec.query !== '' ? `${rec.path}?${rec.query}` : rec.path,
      host: d.host,
      clientIp: d.client_ip,
      protocol: d.protocol,
      userAgent: d.user_agent,
      requestId: d.request_id,
      routePath: d.route?.path ?? null,
      namespace: e.context.namespace ?? null,
      ingress: d.route?.ingress ?? null,
      service: route?.backend.service ?? null,
      backendNamespace: route?.backend.namespace ?? null,
      pod: d.backend?.pod ?? null,
      podIp: d.backend?.pod_ip ?? null,
      errorCode: e.error?.code ?? null,
      errorMessage: e.error?.message ?? null,
      failed: e.severity === 'error',
    }, attempts);
  }

  async shutdown(timeoutMs = 3000): Promise<void> {
    // The final flush must not hang shutdown when the collector does.
    await this.pipeline.shutdown(timeoutMs);
  }
}
