import { ROOT_CONTEXT, type SpanContext, SpanKind, createTraceState, trace } from '@opentelemetry/api';
import { type Sampler, SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { performance } from 'node:perf_hooks';
import type { ProxyError } from '../proxy/errors.ts';
import type { RequestRecord } from '../proxy/request-record.ts';
import type { Endpoint } from '../routing/types.ts';
import type { TraceFacts } from './handoff.ts';
import type { AttemptSpanInput } from './sinks/span-record.ts';
import { TraceIdSource, formatTraceparent, parseTraceparent } from './trace-context.ts';
import type { Headers, RequestTracing } from './tracing.ts';

// Loaded only when tracing is on (OTLP configured): the OTel API and SDK stay out of a process without it.

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

/** performance.now() ms → epoch ms: the telemetry thread has its own time origin. */
const epochMs = (hr: number): number => performance.timeOrigin + hr;

/**
 * Tracing on: a SERVER span per request (`METHOD <route path>`) and a CLIENT span per upstream attempt,
 * whose context goes upstream as `traceparent` so the backend's spans join the trace. Attributes carry
 * both the stable HTTP semantic conventions and the older names URPO queries.
 *
 * Span ids are drawn when the request starts (the CLIENT span's id must be in the upstream
 * `traceparent`) and the sampler runs then; everything else about the spans is described in `facts`
 * as plain values that travel with the finished request to the telemetry thread, which encodes the
 * spans to OTLP from them (sinks/otlp-proto.ts). No SDK Span objects, context objects or
 * per-attribute validation on the request path.
 */
export class OtelTracing implements RequestTracing {
  private readonly ids = new TraceIdSource();
  private readonly sampler: Sampler;

  constructor(sampler: Sampler) {
    this.sampler = sampler;
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
    const decision = this.sampler.shouldSample(ctx, traceId, rec.method, SpanKind.SERVER, {}, []).decision;
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

  facts(rec: RequestRecord): TraceFacts | undefined {
    const st = rec.telemetry;
    if (!(st instanceof RequestTrace) || st.flags === 0) return undefined;
    const endHr = rec.startedHr + rec.durationMs;
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
    return {
      parentSpanId: st.parent?.spanId ?? null,
      parentFlags: st.parent?.traceFlags ?? 0,
      traceState: st.parent?.traceState?.serialize() ?? null,
      startEpochMs: epochMs(rec.startedHr),
      attempts,
    };
  }

}
