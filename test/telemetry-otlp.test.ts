import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { get, getJson } from './support/client.ts';
import { type RequestEventJson, validRequestEvents } from './support/event-schema.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { freePort } from './support/nats-server.ts';
import { OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.ts';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;

/** A backend that answers 500 and reports the traceparent it saw. */
async function startFailing(host: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ traceparent: req.headers.traceparent ?? null }));
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return { server, port: (server.address() as AddressInfo).port };
}

function manifests(echoPort: number, failPort: number): string {
  return toYaml([
    ingressClass(),
    ingress('api', { namespace: 'shop', rules: [{ host: 'api.test', paths: [
      { path: '/api', pathType: 'Prefix', service: 'api' },
      { path: '/fail', pathType: 'Prefix', service: 'fail' },
      { path: '/dead', pathType: 'Prefix', service: 'dead' },
    ] }] }),
    service('api', { namespace: 'shop' }),
    endpointSlice('api', echoPort, [{ ip: '127.0.0.10', pod: 'api-5c8' }], { namespace: 'shop' }),
    service('fail', { namespace: 'shop' }),
    endpointSlice('fail', failPort, [{ ip: '127.0.0.11', pod: 'fail-0' }], { namespace: 'shop' }),
    service('dead', { namespace: 'shop' }),
    endpointSlice('dead', 1, [{ ip: '127.0.0.12', pod: 'dead-0' }], { namespace: 'shop' }),
  ]);
}

async function eventFor(rauta: RunningRauta, requestId: string): Promise<RequestEventJson> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const events = validRequestEvents(JSON.parse((await get(rauta.adminPort, '/requests?format=json&limit=1000')).body));
    const e = events.find((x) => x.data.request_id === requestId);
    if (e !== undefined) return e;
    if (Date.now() > deadline) throw new Error(`no event for request ${requestId}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('telemetry - OTLP traces over http/protobuf', () => {
  let receiver: OtlpReceiver;
  let echo: EchoServer;
  let failing: { server: Server; port: number };
  let rauta: RunningRauta;
  before(async () => {
    receiver = await OtlpReceiver.start();
    echo = await startEcho({ namespace: 'shop', ingress: 'api', service: 'api', pod: 'api-5c8' }, '127.0.0.10');
    failing = await startFailing('127.0.0.11');
    rauta = await startStandalone(manifests(echo.port, failing.port), {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '50',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test,team=edge%20ops',
    });
  });
  after(async () => {
    await rauta.stop();
    await echo.close();
    await new Promise((r) => failing.server.close(r));
    await receiver.close();
  });

  it('continues the incoming trace: SERVER span, CLIENT span, and the backend joins via traceparent', async () => {
    const res = await getJson<{ headers: Record<string, string> }>(rauta.httpPort, '/api/users', {
      host: 'api.test', traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: 'vendor=abc',
    });
    assert.equal(res.status, 200);
    const seen = res.json.headers.traceparent;
    assert.match(seen, new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`), 'backend saw a traceparent in the same trace');
    assert.equal(res.json.headers.tracestate, 'vendor=abc');
    const requestId = String(res.headers['x-request-id']);

    await receiver.waitFor((spans) => spans.filter((s) => s.traceId === TRACE_ID).length >= 2);
    const spans = receiver.spans.filter((s) => s.traceId === TRACE_ID);
    const server = spans.find((s) => s.kind === SERVER) as ReceivedSpan;
    const client = spans.find((s) => s.kind === CLIENT) as ReceivedSpan;
    assert.equal(server.encoding, 'protobuf');
    assert.equal(server.name, 'GET /api');
    assert.equal(server.parentSpanId, PARENT_ID);
    assert.equal(client.parentSpanId, server.spanId);
    assert.equal(seen.split('-')[2], client.spanId, 'the backend\'s parent is RAUTA\'s CLIENT span');
    assert.equal(server.statusCode, 0);
    assert.deepEqual({
      'http.request.method': server.attributes['http.request.method'],
      'http.method': server.attributes['http.method'],
      'http.response.status_code': server.attributes['http.response.status_code'],
      'http.status_code': server.attributes['http.status_code'],
      'url.path': server.attributes['url.path'],
      'http.target': server.attributes['http.target'],
      'server.address': server.attributes['server.address'],
      'http.route': server.attributes['http.route'],
      'k8s.namespace.name': server.attributes['k8s.namespace.name'],
      'k8s.service.name': server.attributes['k8s.service.name'],
      'k8s.pod.name': server.attributes['k8s.pod.name'],
      'rauta.ingress': server.attributes['rauta.ingress'],
      'rauta.request_id': server.attributes['rauta.request_id'],
    }, {
      'http.request.method': 'GET',
      'http.method': 'GET',
      'http.response.status_code': 200,
      'http.status_code': 200,
      'url.path': '/api/users',
      'http.target': '/api/users',
      'server.address': 'api.test',
      'http.route': '/api',
      'k8s.namespace.name': 'shop',
      'k8s.service.name': 'api',
      'k8s.pod.name': 'api-5c8',
      'rauta.ingress': 'shop/api',
      'rauta.request_id': requestId,
    });
    assert.equal(server.resource['service.name'], 'rauta');
    assert.equal(server.resource['deployment.environment'], 'test');
    assert.equal(server.resource.team, 'edge ops');

    const event = await eventFor(rauta, requestId);
    assert.equal(event.context.trace_id, TRACE_ID);
    assert.equal(event.context.span_id, server.spanId);
  });

  it('starts a new trace without traceparent and injects it upstream', async () => {
    const res = await getJson<{ headers: Record<string, string> }>(rauta.httpPort, '/api/new', { host: 'api.test' });
    const [, traceId, spanId] = res.json.headers.traceparent.split('-');
    assert.match(traceId, /^[0-9a-f]{32}$/);
    await receiver.waitFor((spans) => spans.some((s) => s.traceId === traceId && s.kind === SERVER));
    const server = receiver.spans.find((s) => s.traceId === traceId && s.kind === SERVER) as ReceivedSpan;
    assert.equal(server.parentSpanId, '');
    assert.ok(receiver.spans.some((s) => s.spanId === spanId && s.kind === CLIENT));
  });

  it('honours an unsampled parent (parentbased sampler): no spans, traceparent still carries the trace', async () => {
    const unsampled = 'd'.repeat(32);
    const res = await getJson<{ headers: Record<string, string> }>(rauta.httpPort, '/api/unsampled', { host: 'api.test', traceparent: `00-${unsampled}-${PARENT_ID}-00` });
    assert.match(res.json.headers.traceparent, new RegExp(`^00-${unsampled}-[0-9a-f]{16}-00$`));
    assert.notEqual(res.json.headers.traceparent.split('-')[2], PARENT_ID);
    const sampled = 'e'.repeat(32);
    await get(rauta.httpPort, '/api/sampled', { host: 'api.test', traceparent: `00-${sampled}-${PARENT_ID}-01` });
    // Spans are exported in order: once the later request's span is in, the earlier one would be too.
    await receiver.waitFor((spans) => spans.some((s) => s.traceId === sampled && s.kind === SERVER));
    assert.equal(receiver.spans.filter((s) => s.traceId === unsampled).length, 0);
    const event = await eventFor(rauta, String(res.headers['x-request-id']));
    assert.equal(event.context.trace_id, unsampled);
  });

  it('marks 5xx from the backend and proxy errors as span status ERROR', async () => {
    const failed = await getJson<{ traceparent: string }>(rauta.httpPort, '/fail', { host: 'api.test', traceparent: `00-${'a'.repeat(32)}-${PARENT_ID}-01` });
    assert.equal(failed.status, 500);
    assert.match(failed.json.traceparent, new RegExp(`^00-${'a'.repeat(32)}-`));
    const dead = await get(rauta.httpPort, '/dead', { host: 'api.test', traceparent: `00-${'b'.repeat(32)}-${PARENT_ID}-01` });
    assert.equal(dead.status, 502);
    const ok = await get(rauta.httpPort, '/nope', { host: 'api.test', traceparent: `00-${'c'.repeat(32)}-${PARENT_ID}-01` });
    assert.equal(ok.status, 404);
    await receiver.waitFor((spans) => ['a', 'b', 'c'].every((ch) => spans.some((s) => s.traceId === ch.repeat(32) && s.kind === SERVER)));
    const serverSpan = (ch: string) => receiver.spans.find((s) => s.traceId === ch.repeat(32) && s.kind === SERVER) as ReceivedSpan;
    assert.equal(serverSpan('a').statusCode, ERROR);
    assert.equal(serverSpan('a').attributes['http.status_code'], 500);
    assert.equal(serverSpan('b').statusCode, ERROR);
    assert.equal(serverSpan('b').attributes['error.type'], 'RAUTA_ERR_UPSTREAM_CONNECT');
    assert.equal(receiver.spans.find((s) => s.traceId === 'b'.repeat(32) && s.kind === CLIENT)?.statusCode, ERROR);
    // A 404 RAUTA answers itself is a client error: not an ERROR span (HTTP semantic conventions), and no route name.
    assert.equal(serverSpan('c').statusCode, 0);
    assert.equal(serverSpan('c').name, 'GET');
  });
});

describe('telemetry - OTLP traces over http/json', () => {
  let receiver: OtlpReceiver;
  let echo: EchoServer;
  let rauta: RunningRauta;
  before(async () => {
    receiver = await OtlpReceiver.start();
    echo = await startEcho({ namespace: 'shop', ingress: 'api', service: 'api', pod: 'api-5c8' }, '127.0.0.13');
    rauta = await startStandalone(manifests(echo.port, 1).replace('127.0.0.10', '127.0.0.13'), {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.endpoint}/v1/traces`,
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'edge',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
  });
  after(async () => {
    await rauta.stop();
    await echo.close();
    await receiver.close();
  });

  it('exports the same spans as JSON', async () => {
    const res = await get(rauta.httpPort, '/api/json', { host: 'api.test', traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` });
    assert.equal(res.status, 200);
    await receiver.waitFor((spans) => spans.some((s) => s.traceId === TRACE_ID && s.kind === SERVER));
    const server = receiver.spans.find((s) => s.traceId === TRACE_ID && s.kind === SERVER) as ReceivedSpan;
    assert.equal(server.encoding, 'json');
    assert.equal(server.name, 'GET /api');
    assert.equal(server.attributes['http.target'], '/api/json');
    assert.equal(server.resource['service.name'], 'edge');
  });
});

describe('telemetry - a dead or hanging collector never delays requests', () => {
  let echo: EchoServer;
  let hanging: OtlpReceiver;
  let plain: RunningRauta;
  let toHanging: RunningRauta;
  let toNothing: RunningRauta;
  // The hanging collector holds each export for the exporter's whole timeout (a minute): the exporter is
  // stuck for the whole test, and shutdown must still be quick (bounded flush, then the worker stops).
  before(async () => {
    echo = await startEcho({ namespace: 'shop', ingress: 'api', service: 'api', pod: 'api-5c8' }, '127.0.0.14');
    hanging = await OtlpReceiver.start('hang');
    const yaml = manifests(echo.port, 1).replace('127.0.0.10', '127.0.0.14');
    const fast = { OTEL_BSP_SCHEDULE_DELAY: '20', OTEL_BSP_MAX_QUEUE_SIZE: '64' };
    plain = await startStandalone(yaml);
    toHanging = await startStandalone(yaml, { ...fast, OTEL_EXPORTER_OTLP_ENDPOINT: hanging.endpoint, OTEL_EXPORTER_OTLP_TIMEOUT: '60000' });
    toNothing = await startStandalone(yaml, { ...fast, OTEL_EXPORTER_OTLP_TIMEOUT: '1000', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
  });
  after(async () => {
    await Promise.all([plain.stop(), toHanging.stop(), toNothing.stop()]);
    await echo.close();
    await hanging.close();
  });

  async function medianMs(rauta: RunningRauta, n: number): Promise<number> {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const res = await get(rauta.httpPort, `/api/${i}`, { host: 'api.test' });
      times.push(performance.now() - t0);
      assert.equal(res.status, 200);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(n / 2)];
  }

  it('keeps events with the incoming trace id when tracing is off, and forwards traceparent untouched', async () => {
    const incoming = `00-${TRACE_ID}-${PARENT_ID}-01`;
    const res = await getJson<{ headers: Record<string, string> }>(plain.httpPort, '/api/passive', { host: 'api.test', traceparent: incoming });
    assert.equal(res.json.headers.traceparent, incoming);
    const event = await eventFor(plain, String(res.headers['x-request-id']));
    assert.equal(event.context.trace_id, TRACE_ID);
    assert.match(event.context.span_id, /^[0-9a-f]{16}$/);
    assert.notEqual(event.context.span_id, PARENT_ID);
    const fresh = await getJson<{ headers: Record<string, string> }>(plain.httpPort, '/api/fresh', { host: 'api.test' });
    assert.equal(fresh.json.headers.traceparent, undefined, 'nothing injected when tracing is off');
    assert.match((await eventFor(plain, String(fresh.headers['x-request-id']))).context.trace_id, /^[0-9a-f]{32}$/);
  });

  it('serves requests at the same speed while the exporter is stuck or refused', async () => {
    const n = 150;
    const base = await medianMs(plain, n);
    const stuck = await medianMs(toHanging, n);
    // The exporter really is stuck: the collector holds at least one export request open.
    await hanging.waitFor(() => hanging.hungRequests >= 1);
    const refused = await medianMs(toNothing, n);
    // Generous bound: only a request that waited on the collector (seconds) would break it.
    assert.ok(stuck < base * 5 + 20, `median with a hanging collector ${stuck.toFixed(2)} ms vs ${base.toFixed(2)} ms without tracing`);
    assert.ok(refused < base * 5 + 20, `median with a refusing collector ${refused.toFixed(2)} ms vs ${base.toFixed(2)} ms without tracing`);
    // Failed exports are counted as dropped spans.
    const deadline = Date.now() + 5000;
    let dropped = 0;
    while (dropped === 0 && Date.now() < deadline) {
      const m = (await get(toNothing.adminPort, '/metrics')).body.match(/^rauta_events_dropped_total\{sink="otlp"\} (\S+)$/m);
      dropped = Number(m?.[1] ?? 0);
      if (dropped === 0) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(dropped > 0, 'spans the collector refused are counted in rauta_events_dropped_total{sink="otlp"}');
  });

  it('shuts down within seconds while an export hangs', async () => {
    assert.ok(hanging.hungRequests >= 1, 'an export is in flight');
    const t0 = performance.now();
    await toHanging.stop();
    // Bounded: a 3 s cap on the final flush, then the export worker is stopped.
    assert.ok(performance.now() - t0 < 8000, `shutdown took ${(performance.now() - t0).toFixed(0)} ms`);
  });
});
