import { OTLPTraceExporter as HttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as HttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { parentPort, workerData } from 'node:worker_threads';
import { type ExporterInit, type FromWorker, type ToWorker, fromWire } from './otlp-wire.ts';

/**
 * The OTLP exporter's thread: encoding spans (protobuf or JSON) and the HTTP round trips to the
 * collector happen here, so neither costs the proxy's event loop anything.
 */
const init = workerData as ExporterInit;
const port = parentPort;
if (port === null) throw new Error('otlp-worker must run as a worker thread');
const config = { url: init.url, timeoutMillis: init.timeoutMs, concurrencyLimit: 2 };
const exporter = init.protocol === 'http/json' ? new HttpJsonExporter(config) : new HttpProtoExporter(config);
const resource = resourceFromAttributes(init.resourceAttributes);

const reply = (m: FromWorker) => port.postMessage(m);

port.on('message', (m: ToWorker) => {
  if (m.type === 'shutdown') {
    exporter.shutdown().finally(() => reply({ type: 'shutdown-done' }));
    return;
  }
  exporter.export(m.spans.map((s) => fromWire(s, resource)), (result) => {
    reply({ type: 'result', id: m.id, ok: result.code === 0, error: result.error?.message });
  });
});
