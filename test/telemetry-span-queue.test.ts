import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { newRecord } from '../src/proxy/request-record.ts';
import { ProtoBatcher } from '../src/telemetry/sinks/otlp-batcher.ts';
import { type AttemptSpanInput, type RequestSpanInput, type SpanValue, pushRequestSpans } from '../src/telemetry/sinks/span-record.ts';
import { TelemetryThread } from '../src/telemetry/thread/telemetry-thread.ts';
import { freePort } from './support/nats-server.ts';

const request: RequestSpanInput = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', parentSpanId: null, parentFlags: 0, traceState: null,
  startMs: 1_700_000_000_000, endMs: 1_700_000_000_002, method: 'GET', statusCode: 200, path: '/api', scheme: 'http', target: '/api',
  host: 'api.test', clientIp: '127.0.0.1', protocol: 'HTTP/1.1', userAgent: 'test', requestId: 'r-1', routePath: '/api',
  namespace: 'shop', ingress: 'api', service: 'api', backendNamespace: 'shop', pod: 'api-0', podIp: '127.0.0.10',
  errorCode: null, errorMessage: null, failed: false, routeKind: null, routeRule: null,
};
const attempt: AttemptSpanInput = {
  spanId: '1111111111111111', attempt: 1, ip: '127.0.0.10', port: 8080, pod: 'api-0',
  startMs: 1_700_000_000_000.5, endMs: 1_700_000_000_001.5, statusCode: 200, errorCode: null, errorMessage: null,
};

describe('telemetry - bounded queues toward the collector and the telemetry thread', () => {
  it('drops and counts spans beyond OTEL_BSP_MAX_QUEUE_SIZE instead of queueing them; failed exports are counted', async () => {
    const outcomes: { spans: number; ok: boolean; dropped?: boolean }[] = [];
    // Nothing listens on this port: the export fails, which is reported too.
    const url = `http://127.0.0.1:${await freePort()}/v1/traces`;
    const batcher = new ProtoBatcher({
      url, timeoutMs: 500, resourceAttributes: { 'service.name': 'rauta' }, maxQueueSize: 3, maxExportBatchSize: 3, scheduledDelayMs: 60_000,
      report: (o) => outcomes.push(o),
    });
    const v: SpanValue[] = [];
    pushRequestSpans(v, request, [attempt]);
    try {
      batcher.add(v, 2); // 2 spans: within the bound of 3
      assert.deepEqual(outcomes, []);
      batcher.add(v, 2); // 2 more would make 4 > 3
      assert.deepEqual(outcomes, [{ spans: 2, ok: false, dropped: true }], 'the second request\'s SERVER and CLIENT spans are dropped at once');
      await batcher.flush();
    } finally {
      batcher.close();
    }
    assert.equal(outcomes.length, 2);
    const exported = outcomes[1] as { spans: number; ok: boolean; dropped?: boolean };
    assert.equal(exported.spans, 2);
    assert.equal(exported.ok, false, 'the 2 queued spans failed to export (no collector)');
    assert.notEqual(exported.dropped, true);
  });

  it('drops and counts finished requests beyond RAUTA_EVENT_QUEUE_SIZE before they reach the telemetry thread', async () => {
    let dropped = 0;
    const thread = new TelemetryThread({
      logLevel: 'silent', cluster: '', node: '', includeQuery: false, ringSize: 10, eventQueueSize: 2, accessLog: false, nats: undefined, spans: undefined,
    }, pino({ level: 'silent' }), (n) => { dropped += n; });
    try {
      const rec = () => Object.assign(newRecord(Date.now(), 0), { requestId: 'r', method: 'GET', host: 'h', path: '/', statusCode: 200 });
      thread.add(rec(), undefined);
      thread.add(rec(), undefined);
      assert.equal(dropped, 0);
      thread.add(rec(), undefined); // two are waiting for the thread already
      assert.equal(dropped, 1);
      const recent = await thread.recentJson();
      assert.equal(recent.length, 2, 'the two within the bound reached the ring');
      thread.add(rec(), undefined); // taken by now: room again
      assert.equal(dropped, 1);
    } finally {
      await thread.stop(3000);
    }
  });
});
