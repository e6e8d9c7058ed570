import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AlwaysOnSampler } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { freePort } from './support/nats-server.ts';
import type { AttemptSpanInput, RequestSpanInput } from '../src/telemetry/sinks/span-record.ts';
import { WorkerSpanPipeline } from '../src/telemetry/sinks/worker-exporter.ts';

const request: RequestSpanInput = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', parentSpanId: null, parentFlags: 0, traceState: null,
  startMs: 1_700_000_000_000, endMs: 1_700_000_000_002, method: 'GET', statusCode: 200, path: '/api', scheme: 'http', target: '/api',
  host: 'api.test', clientIp: '127.0.0.1', protocol: 'HTTP/1.1', userAgent: 'test', requestId: 'r-1', routePath: '/api',
  namespace: 'shop', ingress: 'api', service: 'api', backendNamespace: 'shop', pod: 'api-0', podIp: '127.0.0.10',
  errorCode: null, errorMessage: null, failed: false,
};
const attempt: AttemptSpanInput = {
  spanId: '1111111111111111', attempt: 1, ip: '127.0.0.10', port: 8080, pod: 'api-0',
  startMs: 1_700_000_000_000.5, endMs: 1_700_000_000_001.5, statusCode: 200, errorCode: null, errorMessage: null,
};

describe('telemetry - span queue toward the export worker', () => {
  it('drops and counts spans beyond OTEL_BSP_MAX_QUEUE_SIZE instead of queueing them', async () => {
    let dropped = 0;
    let published = 0;
    // Nothing listens on this port: the final export fails, which is counted too.
    const url = `http://127.0.0.1:${await freePort()}/v1/traces`;
    const pipeline = new WorkerSpanPipeline(
      { protocol: 'http/protobuf', url, timeoutMs: 500, resourceAttributes: { 'service.name': 'rauta' }, maxQueueSize: 3, maxExportBatchSize: 3, scheduledDelayMs: 60_000 },
      new AlwaysOnSampler(),
      { published: (n = 1) => { published += n; }, dropped: (n = 1) => { dropped += n; } },
      pino({ level: 'silent' }),
    );
    try {
      pipeline.add(request, [attempt]); // 2 spans: within the bound of 3
      assert.equal(dropped, 0);
      pipeline.add(request, [attempt]); // 2 more would make 4 > 3
      assert.equal(dropped, 2, 'the second request\'s SERVER and CLIENT spans are dropped at once');
    } finally {
      await pipeline.shutdown(3000);
    }
    assert.equal(published, 0);
    assert.equal(dropped, 4, 'the 2 queued spans failed to export (no collector) and are counted as dropped');
  });
});
