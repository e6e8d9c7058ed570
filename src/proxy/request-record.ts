import type { Endpoint, Route } from '../routing/types.ts';
import type { ProxyError } from './errors.ts';

export type WireProtocol = 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2' | 'websocket';

/**
 * What the proxy knows about one request, filled in phase by phase (accept → match → pick → forward
 * → finish). The finish phase hands it to the observer exactly once, failures included; the telemetry
 * layer turns it into the RequestEvent.
 */
export interface RequestRecord {
  /** Wall clock at accept, ms since the epoch. */
  readonly startedAt: number;
  /** performance.now() at accept, for durations. */
  readonly startedHr: number;
  requestId: string;
  method: string;
  scheme: 'http' | 'https';
  /** Host header as sent. */
  host: string;
  /** Path without the query string. */
  path: string;
  query: string;
  protocol: WireProtocol;
  clientIp: string;
  userAgent: string;
  route: Route | undefined;
  endpoint: Endpoint | undefined;
  attempts: number;
  statusCode: number;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  /** Sum over attempts of connect-to-response-end time. */
  upstreamDurationMs: number | undefined;
  error: ProxyError | undefined;
  /** For gRPC backends: the grpc-status the backend returned. */
  grpcStatus: string | undefined;
  /** Trace context, set by the observer when tracing (or propagation) is on. */
  traceId: string | undefined;
  spanId: string | undefined;
  /** Free slot for the observer (span handles…); the proxy never reads it. */
  telemetry: unknown;
}

export interface RequestObserver {
  /** Called once per request, right after accept. `headers` are the incoming request headers. */
  start(record: RequestRecord, headers: Readonly<Record<string, string | string[] | undefined>>): void;
  /** Headers (flat name, value list) to add to an upstream attempt, e.g. `traceparent`. */
  upstreamHeaders(record: RequestRecord, attempt: number, endpoint: Endpoint): readonly string[] | undefined;
  /** Called when an upstream attempt ends. */
  attemptFinished(record: RequestRecord, endpoint: Endpoint, error: ProxyError | undefined, statusCode: number | undefined): void;
  /** Called exactly once per request, after the response is complete or the request failed. */
  finish(record: RequestRecord): void;
}

export const noopObserver: RequestObserver = {
  start() {},
  upstreamHeaders() {
    return undefined;
  },
  attemptFinished() {},
  finish() {},
};

export function newRecord(now: number, hr: number): RequestRecord {
  return {
    startedAt: now,
    startedHr: hr,
    requestId: '',
    method: '',
    scheme: 'http',
    host: '',
    path: '',
    query: '',
    protocol: 'HTTP/1.1',
    clientIp: '',
    userAgent: '',
    route: undefined,
    endpoint: undefined,
    attempts: 0,
    statusCode: 0,
    bytesIn: 0,
    bytesOut: 0,
    durationMs: 0,
    upstreamDurationMs: undefined,
    error: undefined,
    grpcStatus: undefined,
    traceId: undefined,
    spanId: undefined,
    telemetry: undefined,
  };
}
