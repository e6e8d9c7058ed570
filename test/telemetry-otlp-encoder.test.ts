import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { ProtoWriter, encodeEnvelopeParts, exportRequestChunks, writeRequestSpans } from '../src/telemetry/sinks/otlp-proto.ts';
import { readRequestSpans } from '../src/telemetry/sinks/span-read.ts';
import { type AttemptSpanInput, type RequestSpanInput, type SpanValue, pushRequestSpans } from '../src/telemetry/sinks/span-record.ts';

const RESOURCE = { 'deployment.environment': 'test', team: 'edge ops', 'service.name': 'rauta' };

/** The official encoding: the SDK's ReadableSpans for the same runs, through otlp-transformer's serializer. */
function official(values: readonly SpanValue[]): Buffer {
  const spans: ReadableSpan[] = [];
  readRequestSpans(values, resourceFromAttributes(RESOURCE), (s) => spans.push(s));
  return Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array);
}

function ours(values: readonly SpanValue[]): { bytes: Buffer; spans: number } {
  const w = new ProtoWriter(64);
  const spans = writeRequestSpans(w, values);
  return { bytes: Buffer.concat(exportRequestChunks(encodeEnvelopeParts(RESOURCE, 'rauta'), w.view())), spans };
}

const base: RequestSpanInput = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', parentSpanId: null, parentFlags: 0, traceState: null,
  startMs: 1_764_000_000_123.456, endMs: 1_764_000_000_125.789, method: 'GET', statusCode: 200, path: '/api/users', scheme: 'http',
  target: '/api/users', host: 'api.test:8080', clientIp: '127.0.0.1', protocol: 'HTTP/1.1', userAgent: 'curl/8.5', requestId: '01JABCDEF',
  routePath: '/api', namespace: 'shop', ingress: 'api', service: 'api', backendNamespace: 'shop', pod: 'api-5c8', podIp: '127.0.0.10',
  errorCode: null, errorMessage: null, failed: false, routeKind: null, routeRule: null,
};
const attempt: AttemptSpanInput = {
  spanId: '1111111111111111', attempt: 1, ip: '127.0.0.10', port: 8080, pod: 'api-5c8',
  startMs: 1_764_000_000_123.9, endMs: 1_764_000_000_125.1, statusCode: 200, errorCode: null, errorMessage: null,
};

describe('telemetry - OTLP protobuf encoder matches the official serializer byte for byte', () => {
  it('a plain request: SERVER span and one CLIENT span', () => {
    const v: SpanValue[] = [];
    pushRequestSpans(v, base, [attempt]);
    const { bytes, spans } = ours(v);
    assert.equal(spans, 2);
    assert.deepEqual(bytes, official(v));
  });

  it('a continued trace with tracestate, retries, an upstream error and a RAUTA error status', () => {
    const v: SpanValue[] = [];
    pushRequestSpans(v, {
      ...base, parentSpanId: 'b7ad6b7169203331', parentFlags: 1, traceState: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
      statusCode: 502, errorCode: 'RAUTA_UPSTREAM_CONNECT', errorMessage: 'connect ECONNREFUSED 127.0.0.12:1', failed: true, pod: null, podIp: null,
    }, [
      { ...attempt, statusCode: null, errorCode: 'RAUTA_UPSTREAM_CONNECT', errorMessage: 'connect ECONNREFUSED' },
      { ...attempt, spanId: '2222222222222222', attempt: 2, pod: null, statusCode: 503 },
      { ...attempt, spanId: '3333333333333333', attempt: 3, port: 65535, statusCode: 200 },
    ]);
    pushRequestSpans(v, { ...base, routePath: null, namespace: null, ingress: null, service: null, backendNamespace: null, statusCode: 404 }, []);
    const { bytes, spans } = ours(v);
    assert.equal(spans, 5);
    assert.deepEqual(bytes, official(v));
  });

  it('long and non-ASCII values (multi-byte lengths, UTF-8, lone surrogates) and a large batch', () => {
    const v: SpanValue[] = [];
    for (let i = 0; i < 300; i++) {
      pushRequestSpans(v, {
        ...base, spanId: (i + 1).toString(16).padStart(16, '0'), path: `/${'ä'.repeat(i)}`, target: `/${'x'.repeat(i * 3)}?q=${i}`,
        userAgent: `agent \ud800 ${'🦊'.repeat(i % 50)}`, startMs: base.startMs + i * 0.001, endMs: base.startMs + i * 0.001 - (i % 2),
      }, i % 3 === 0 ? [] : [{ ...attempt, attempt: i % 4 + 1 }]);
    }
    const { bytes } = ours(v);
    assert.ok(bytes.length > 100_000, 'the batch is large enough that every length prefix needs several bytes');
    assert.deepEqual(bytes, official(v));
  });

  it('any request the proxy can describe (property, 300 cases)', () => {
    const hexId = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
    const text = fc.string({ unit: 'binary', maxLength: 200 });
    const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });
    const time = fc.double({ min: 1_000_000_000_000, max: 4_000_000_000_000, noNaN: true });
    const att = fc.record({
      spanId: hexId(16), attempt: fc.integer({ min: 1, max: 5 }), ip: text, port: fc.integer({ min: 1, max: 65535 }), pod: opt(text),
      startMs: time, endMs: time, statusCode: opt(fc.integer({ min: 100, max: 599 })), errorCode: opt(text), errorMessage: opt(text),
    });
    const req = fc.record({
      traceId: hexId(32), spanId: hexId(16), parentSpanId: opt(hexId(16)), parentFlags: fc.integer({ min: 0, max: 1 }),
      traceState: opt(fc.constantFrom('a=1', 'vendor=x,other=y')), startMs: time, endMs: time, method: text,
      statusCode: fc.integer({ min: 100, max: 599 }), path: text, scheme: fc.constantFrom('http', 'https'), target: text, host: text,
      clientIp: text, protocol: fc.constantFrom('HTTP/1.0', 'HTTP/1.1', 'HTTP/2', 'websocket'), userAgent: text, requestId: text,
      errorCode: opt(text), errorMessage: opt(text), failed: fc.boolean(),
      // What the proxy sets together: the matched route's fields, the backend's fields.
      route: opt(fc.record({ routePath: text, namespace: text, ingress: text, routeKind: opt(fc.constantFrom('HTTPRoute', 'GRPCRoute')), routeRule: opt(text) })),
      backend: opt(fc.record({ service: text, backendNamespace: text, pod: opt(text), podIp: opt(text) })),
    }).map(({ route, backend, ...r }): RequestSpanInput => ({
      ...r, routePath: route?.routePath ?? null, namespace: route?.namespace ?? null, ingress: route?.ingress ?? null,
      routeKind: route?.routeKind ?? null, routeRule: route?.routeRule ?? null,
      service: backend?.service ?? null, backendNamespace: backend?.backendNamespace ?? null, pod: backend?.pod ?? null, podIp: backend?.podIp ?? null,
    }));
    fc.assert(fc.property(fc.array(fc.tuple(req, fc.array(att, { maxLength: 3 })), { minLength: 1, maxLength: 4 }), (requests) => {
      const v: SpanValue[] = [];
      for (const [r, a] of requests) pushRequestSpans(v, r, a);
      assert.deepEqual(ours(v).bytes, official(v));
    }), { numRuns: 300 });
  });
});
