import { OTLPTraceExporter as HttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { parentPort, workerData } from 'node:worker_threads';
import { ProtoBatcher } from './otlp-batcher.ts';
import type { ExporterInit, FromWorker, ToWorker } from './otlp-wire.ts';
import { readRequestSpans } from './span-record.ts';

/**
 * The OTLP exporter's thread: encoding and the HTTP round trips to the collector happen here, so none
 * of it runs on the proxy's event loop. http/protobuf (the default) is encoded straight from the flat
 * request runs (otlp-proto.ts) into batches; http/json, a debugging aid, goes through the SDK's
 * BatchSpanProcessor and JSON exporter with spans built from the same runs.
 */
const init = workerData as ExporterInit;
const port = parentPort;
if (port === null) throw new Error('otlp-worker must run as a worker thread');
const reply = (m: FromWorker) => port.postMessage(m);

interface Pipeline {
  add(values: ToWorker & { type: 'spans' }): void;
  shutdown(): Promise<void>;
}

function protobufPipeline(): Pipeline {
  const batcher = new ProtoBatcher({
    url: init.url, timeoutMs: init.timeoutMs, resourceAttributes: init.resourceAttributes,
    maxQueueSize: init.maxQueueSize, maxExportBatchSize: init.maxExportBatchSize, scheduledDelayMs: init.scheduledDelayMs,
    report: (o) => reply({ type: 'exported', spans: o.spans, ok: o.ok, error: o.error, dropped: o.dropped }),
  });
  return {
    add: (m) => batcher.add(m.values, m.spans),
    shutdown: async () => {
      await batcher.flush();
      batcher.close();
    },
  };
}

function jsonPipeline(): Pipeline {
  const otlp = new HttpJsonExporter({ url: init.url, timeoutMillis: init.timeoutMs, concurrencyLimit: 2 });
  type ExportCallback = Parameters<SpanExporter['export']>[1];
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
  return {
    add: (m) => readRequestSpans(m.values, resource, onEnd),
    shutdown: () => processor.shutdown(),
  };
}

const pipeline = init.protocol === 'http/json' ? jsonPipeline() : protobufPipeline();

port.on('message', (m: ToWorker) => {
  if (m.type === 'shutdown') {
    // A failed final export is already counted; shutdown must still report done.
    pipeline.shutdown().catch(() => {}).finally(() => reply({ type: 'shutdown-done' }));
    return;
  }
  pipeline.add(m);
  reply({ type: 'taken', spans: m.spans });
});
