import type { Logger } from 'pino';
import { ErrorKinds, type ProxyError } from '../proxy/errors.ts';
import type { RequestObserver, RequestRecord } from '../proxy/request-record.ts';
import type { Endpoint } from '../routing/types.ts';
import type { TraceFacts } from './handoff.ts';
import type { Metrics } from './sinks/metrics.ts';
import type { RequestTracing } from './tracing.ts';

/** Where finished requests go: the telemetry thread (thread/telemetry-thread.ts) or a test double. */
export interface FinishedSink {
  add(rec: RequestRecord, trace: TraceFacts | undefined): void;
}

/**
 * The proxy's observer: trace context at start, `traceparent` per attempt, and in `finish` — the one
 * place — the finished request is handed off with its trace facts; the event, its sinks and the spans
 * are made from them in the telemetry thread. Nothing here does I/O; a bug here is logged and never
 * reaches the request.
 */
export class TelemetryObserver implements RequestObserver {
  private readonly tracing: RequestTracing;
  private readonly sink: FinishedSink;
  private readonly metrics: Metrics;
  private readonly logger: Logger;
  private failures = 0;

  constructor(deps: { tracing: RequestTracing; sink: FinishedSink; metrics: Metrics; logger: Logger }) {
    this.tracing = deps.tracing;
    this.sink = deps.sink;
    this.metrics = deps.metrics;
    this.logger = deps.logger;
  }

  start(rec: RequestRecord, headers: Readonly<Record<string, string | string[] | undefined>>): void {
    try {
      this.tracing.start(rec, headers);
    } catch (err) {
      this.fail(err, 'start');
    }
  }

  upstreamHeaders(rec: RequestRecord, attempt: number, endpoint: Endpoint): readonly string[] | undefined {
    try {
      return this.tracing.upstreamHeaders(rec, attempt, endpoint);
    } catch (err) {
      this.fail(err, 'upstreamHeaders');
      return undefined;
    }
  }

  attemptFinished(rec: RequestRecord, endpoint: Endpoint, error: ProxyError | undefined, statusCode: number | undefined): void {
    try {
      if (error !== undefined && (error.kind.side === 'upstream' || error.kind === ErrorKinds.upstreamOverloaded) && rec.route !== undefined) {
        this.metrics.backendError(rec.route.backend.namespace, rec.route.backend.service, error.kind.code);
      }
      this.tracing.attemptFinished(rec, endpoint, error, statusCode);
    } catch (err) {
      this.fail(err, 'attemptFinished');
    }
  }

  finish(rec: RequestRecord): void {
    try {
      this.sink.add(rec, this.tracing.facts(rec));
    } catch (err) {
      this.fail(err, 'finish');
    }
  }

  private fail(err: unknown, phase: string): void {
    // Log the first few, then every 1000th: a systematic bug must not flood the log at request rate.
    this.failures++;
    if (this.failures <= 5 || this.failures % 1000 === 0) this.logger.error({ err, phase, failures: this.failures }, 'telemetry observer failed');
  }
}
