import { type DestinationStream, type Logger, pino } from 'pino';
import type { RequestEvent } from '../request-event.ts';
import type { EventSink, SinkCounters } from '../sink.ts';

/** Buffered bytes at which the access log starts dropping lines rather than growing without bound. */
const MAX_BUFFER_BYTES = 16 * 1024 * 1024;

interface DropEmitter {
  on(event: 'drop', listener: (data: unknown) => void): unknown;
}

/** A SonicBoom destination on stdout that writes asynchronously and drops (with a count) when stdout cannot keep up. */
export function asyncStdout(counters: SinkCounters): DestinationStream & { flushSync(): void } {
  const dest = pino.destination({ dest: 1, sync: false, maxLength: MAX_BUFFER_BYTES });
  (dest as unknown as DropEmitter).on('drop', () => counters.dropped());
  return dest;
}

/**
 * `RAUTA_ACCESS_LOG=true`: one pino JSON line per request, in the bus's drain (off the request path) and
 * written asynchronously. Same named fields as the event, flattened for grep and log shippers.
 */
export class AccessLogSink implements EventSink {
  readonly name = 'log';
  private readonly log: Logger;
  private readonly counters: SinkCounters;
  private readonly dest: DestinationStream & { flushSync?(): void };

  constructor(dest: DestinationStream & { flushSync?(): void }, counters: SinkCounters) {
    this.dest = dest;
    this.counters = counters;
    this.log = pino({ base: { app: 'rauta', log: 'access' }, timestamp: pino.stdTimeFunctions.isoTime }, dest);
  }

  write(e: RequestEvent): void {
    const d = e.data;
    this.log.info({
      request_id: d.request_id,
      method: d.method,
      host: d.host,
      path: d.path,
      status: d.status_code,
      duration_ms: d.duration_ms,
      upstream_ms: d.upstream_duration_ms,
      bytes_in: d.bytes_in,
      bytes_out: d.bytes_out,
      client_ip: d.client_ip,
      user_agent: d.user_agent,
      namespace: e.context.namespace,
      ingress: d.route?.ingress,
      route_kind: d.route?.kind,
      route_rule: d.route?.rule,
      service: d.backend?.service,
      pod: d.backend?.pod,
      upstream: d.backend?.pod_ip === undefined ? undefined : `${d.backend.pod_ip}:${d.backend.pod_port}`,
      attempts: d.attempts,
      trace_id: e.context.trace_id,
      error: e.error?.code,
    }, 'request');
    this.counters.published();
  }

  async close(): Promise<void> {
    try {
      this.dest.flushSync?.();
    } catch {
      // Not ready yet or stdout closed: nothing more to do at shutdown.
    }
  }
}
