import type { ProxyError } from '../proxy/errors.ts';
import type { RequestRecord } from '../proxy/request-record.ts';
import type { Endpoint } from '../routing/types.ts';
import type { TraceFacts } from './handoff.ts';
import { TraceIdSource, parseTraceparent } from './trace-context.ts';

export type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** The tracing half of the request observer. */
export interface RequestTracing {
  /** Sets `rec.traceId` / `rec.spanId` (always) and begins the SERVER span (when tracing is on). */
  start(rec: RequestRecord, headers: Headers): void;
  upstreamHeaders(rec: RequestRecord, attempt: number, endpoint: Endpoint): readonly string[] | undefined;
  attemptFinished(rec: RequestRecord, endpoint: Endpoint, error: ProxyError | undefined, statusCode: number | undefined): void;
  /** What the telemetry thread needs to describe the request's spans; undefined when not sampled. */
  facts(rec: RequestRecord): TraceFacts | undefined;
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
  facts(): undefined {
    return undefined;
  }
}
