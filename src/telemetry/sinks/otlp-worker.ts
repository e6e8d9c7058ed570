import { OTLPTraceExporter as HttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as HttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { parentPort, workerData } from 'node:worker_threads';
import type { ExporterInit, FromWorker, ToWorker } from './otlp-wire.ts';
import { readRequestSpans } from './span-record.ts';

/**
 * The OTLP exporter's thread: building the SERVER/CLIENT spans from the flat request runs, the SDK's
 * BatchSpanProcessor (OTEL_BSP_* queue and schedule), encoding (protobuf or JSON) and the HTTP round
 * trips to the collector all happen here, so none of it runs on the proxy's event loop.
 */
const init = workerData as ExporterInit;
const port = parentPort;
if (port === null) throw new Error('otlp-worker must run as a worker thread');
const reply = (m: FromWorker) => port.postMessage(m);

const config = { url: init.url, timeoutMillis: init.timeoutMs, concurrencyLimit: 2 };
const otlp = init.protocol === 'http/json' ? new HttpJsonExporter(config) : new HttpProtoExporter(config);
type ExportCallback = Parameters<SpanExporter['export']>[1];

/** Reports every export's outcome to the proxy thread, which counts it (sink "otlp") and logs failures. */
const reporting: SpanExporter = {
  export(spans: ReadableSpan[], done: ExportCallback) {
    otlp.export(spans, (result) => {
      reply({ type: 'exported', spans: spans.length, ok: result.code === 0, error: result.error?.message });
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

port.on('message', (m: ToWorker) => {
  if (m.type === 'shutdown') {
    // A failed final export is already counted by the exporter; shutdown must still report done.
    processor.shutdown().catch(() => {}).finally(() => reply({ type: 'shutdown-done' }));
    return;
  }
  readRequestSpans(m.values, resource, onEnd);
  reply({ type: 'taken', spans: m.spans });
});
