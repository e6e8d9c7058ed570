import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ExporterInit } from '../thread/protocol.ts';
import { ProtoBatcher } from './otlp-batcher.ts';
import type { SpanValue } from './span-record.ts';

/** The outcome of one export (or of spans refused because the export queue was full). */
export type ExportReport = (o: { spans: number; ok: boolean; error?: string; dropped?: boolean }) => void;

/** Spans of traced requests (flat runs, span-record.ts) on their way to the collector. */
export interface SpanExport {
  add(values: readonly SpanValue[], spans: number): void;
  /** Exports what is queued; resolves when done or failed. */
  shutdown(): Promise<void>;
}

/**
 * http/protobuf (the default) is encoded straight from the flat runs (otlp-proto.ts) into batches;
 * http/json, a debugging aid, goes through the SDK's BatchSpanProcessor and JSON exporter with spans
 * built from the same runs.
 */
export async function createSpanExport(init: ExporterInit, report: ExportReport): Promise<SpanExport> {
  return init.protocol === 'http/json' ? jsonExport(init, report) : protobufExport(init, report);
}

function protobufExport(init: ExporterInit, report: ExportReport): SpanExport {
  const batcher = new ProtoBatcher({
    url: init.url, timeoutMs: init.timeoutMs, resourceAttributes: init.resourceAttributes,
    maxQueueSize: init.maxQueueSize, maxExportBatchSize: init.maxExportBatchSize, scheduledDelayMs: init.scheduledDelayMs, report,
  });
  return {
    add: (values, spans) => batcher.add(values, spans),
    shutdown: async () => {
      await batcher.flush();
      batcher.close();
    },
  };
}

/** The SDK's modules are loaded only for http/json (~8 MB of RSS per thread otherwise). */
async function jsonExport(init: ExporterInit, report: ExportReport): Promise<SpanExport> {
  const [{ OTLPTraceExporter: HttpJsonExporter }, { resourceFromAttributes }, { BatchSpanProcessor }, { readRequestSpans }] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-http'), import('@opentelemetry/resources'), import('@opentelemetry/sdk-trace-base'), import('./span-read.ts'),
  ]);
  const otlp = new HttpJsonExporter({ url: init.url, timeoutMillis: init.timeoutMs, concurrencyLimit: 2 });
  type ExportCallback = Parameters<SpanExporter['export']>[1];
  const reporting: SpanExporter = {
    export(spans: ReadableSpan[], done: ExportCallback) {
      otlp.export(spans, (result) => {
        report({ spans: spans.length, ok: result.code === 0, error: result.error?.message });
        done(result);
      });
    },
    shutdown: () => otlp.shutdown(),
    forceFlush: () => otlp.forceFlush(),
  };
  const processor = new BatchSpanProcessor(reporting, {
    maxQueueSize: init.maxQueueSize,
    maxExportBatchSize: init.maxExportBatchSize,
    scheduledDelayMillis: init.scheduledDelayMs,
    exportTimeoutMillis: init.timeoutMs,
  });
  const resource = resourceFromAttributes(init.resourceAttributes);
  const onEnd = (s: ReadableSpan) => processor.onEnd(s);
  return {
    add: (values) => readRequestSpans(values, resource, onEnd),
    shutdown: () => processor.shutdown(),
  };
}
