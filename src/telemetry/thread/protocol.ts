import type { HandoffValue } from '../handoff.ts';
import type { MetricsSnapshot } from '../sinks/metrics.ts';

/** The span exporter's settings (OTEL_EXPORTER_OTLP_*, OTEL_BSP_*). */
export interface ExporterInit {
  readonly protocol: 'http/protobuf' | 'http/json';
  readonly url: string;
  readonly timeoutMs: number;
  readonly resourceAttributes: Record<string, string>;
  readonly maxQueueSize: number;
  readonly maxExportBatchSize: number;
  readonly scheduledDelayMs: number;
}

/** Everything the telemetry thread is started with: plain data, validated on the proxy thread first. */
export interface TelemetryInit {
  readonly logLevel: string;
  readonly cluster: string;
  readonly node: string;
  readonly includeQuery: boolean;
  readonly ringSize: number;
  readonly eventQueueSize: number;
  readonly accessLog: boolean;
  readonly nats: { readonly url: string; readonly credsFile: string | undefined; readonly token: string | undefined; readonly bufferSize: number; readonly subject: string; readonly mirror: string | undefined } | undefined;
  readonly spans: ExporterInit | undefined;
}

/** What the thread is started with: the init, and the counter it adds taken requests to (telemetry-thread.ts). */
export interface TelemetryWorkerData extends TelemetryInit {
  readonly taken: SharedArrayBuffer;
}

/**
 * `records`: finished requests (handoff.ts), acknowledged by adding their count to the shared `taken`.
 * `control`: a control-plane event to publish on NATS as is. `query`: answered with `reply` of the same
 * id. `feed`: whether the proxy thread wants every event's JSON (someone watches /requests/stream).
 */
export type ToTelemetry =
  | { readonly type: 'records'; readonly count: number; readonly values: readonly HandoffValue[] }
  | { readonly type: 'control'; readonly subject: string; readonly json: string }
  | { readonly type: 'query'; readonly id: number; readonly what: 'metrics' | 'recent' }
  | { readonly type: 'feed'; readonly on: boolean }
  | { readonly type: 'shutdown' };

export type FromTelemetry =
  | { readonly type: 'reply'; readonly id: number; readonly metrics?: MetricsSnapshot; readonly recent?: readonly string[] }
  | { readonly type: 'feed'; readonly events: readonly string[] }
  | { readonly type: 'nats'; readonly connected: boolean }
  | { readonly type: 'log'; readonly line: string }
  | { readonly type: 'ready' }
  | { readonly type: 'shutdown-done' };
