import type { SpanValue } from './span-record.ts';

/** What the export worker is started with: the exporter and its BatchSpanProcessor settings (OTEL_BSP_*). */
export interface ExporterInit {
  readonly protocol: 'http/protobuf' | 'http/json';
  readonly url: string;
  readonly timeoutMs: number;
  readonly resourceAttributes: Record<string, string>;
  readonly maxQueueSize: number;
  readonly maxExportBatchSize: number;
  readonly scheduledDelayMs: number;
}

/**
 * `spans`: traced requests as flat runs (span-record.ts), acknowledged with `taken` once they are in the
 * worker's BatchSpanProcessor queue. `flush`: export everything queued now (shutdown).
 */
export type ToWorker =
  | { readonly type: 'spans'; readonly spans: number; readonly values: readonly SpanValue[] }
  | { readonly type: 'shutdown' };

export type FromWorker =
  | { readonly type: 'taken'; readonly spans: number }
  /** `dropped`: refused because the worker's queue (OTEL_BSP_MAX_QUEUE_SIZE) was full, not a failed export. */
  | { readonly type: 'exported'; readonly spans: number; readonly ok: boolean; readonly error?: string; readonly dropped?: boolean }
  | { readonly type: 'shutdown-done' };
