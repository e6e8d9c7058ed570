import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { get } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { type Sample, parsePrometheus as parse } from './support/prometheus-text.ts';

describe('telemetry - Prometheus /metrics', () => {
  let web: EchoServer;
  let rauta: RunningRauta;
  let samples: Sample[];
  let text: string;
  before(async () => {
    web = await startEcho({ namespace: 'default', ingress: 'web', service: 'web', pod: 'web-0' }, '127.0.0.5');
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('web', { rules: [{ host: 'web.test', paths: [{ path: '/', service: 'web' }] }] }),
      service('web'),
      endpointSlice('web', web.port, [{ ip: '127.0.0.5', pod: 'web-0' }]),
      // A path whose endpoint refuses connections: 502 and a backend error.
      ingress('dead', { rules: [{ host: 'dead.test', paths: [{ path: '/', service: 'dead' }] }] }),
      service('dead'),
      endpointSlice('dead', 1, [{ ip: '127.0.0.6', pod: 'dead-0' }]),
      // An Ingress naming a Service that does not exist: rejected (503).
      ingress('broken', { rules: [{ host: 'broken.test', paths: [{ path: '/', service: 'missing' }] }] }),
    ]));
    for (let i = 0; i < 3; i++) assert.equal((await get(rauta.httpPort, `/secret/path/${i}`, { host: 'web.test' })).status, 200);
    assert.equal((await get(rauta.httpPort, '/', { host: 'web.test' }, 'PROPFIND')).status, 200);
    assert.equal((await get(rauta.httpPort, '/x', { host: 'random-host-123.test' })).status, 404);
    assert.equal((await get(rauta.httpPort, '/', { host: 'dead.test' })).status, 502);
    assert.equal((await get(rauta.httpPort, '/', { host: 'broken.test' })).status, 503);
    // Counters are updated in the bus's drain, on the next turn of the event loop.
    await new Promise((r) => setTimeout(r, 50));
    text = (await get(rauta.adminPort, '/metrics')).body;
    samples = parse(text);
  });
  after(async () => {
    await rauta.stop();
    await web.close();
  });

  const find = (name: string, labels: Record<string, string>) =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length);

  it('exposes every RAUTA metric with exactly its documented labels', () => {
    const labelSets: Record<string, string[]> = {
      rauta_requests_total: ['code', 'ingress', 'method', 'namespace', 'service'],
      rauta_request_duration_seconds_bucket: ['ingress', 'le', 'method', 'namespace', 'service'],
      rauta_request_duration_seconds_count: ['ingress', 'method', 'namespace', 'service'],
      rauta_upstream_duration_seconds_bucket: ['le', 'namespace', 'service'],
      rauta_backend_errors_total: ['namespace', 'reason', 'service'],
      rauta_events_published_total: ['sink'],
      rauta_events_dropped_total: ['sink'],
      rauta_nats_connected: [],
      rauta_active_connections: [],
      rauta_config_reloads_total: ['result'],
      rauta_ingress_rejected: [],
    };
    for (const [name, labels] of Object.entries(labelSets)) {
      const found = samples.filter((s) => s.name === name);
      assert.ok(found.length > 0, `${name} missing`);
      for (const s of found) assert.deepEqual(Object.keys(s.labels).sort(), labels, `${name} labels`);
    }
    assert.match(text, /^# TYPE rauta_request_duration_seconds histogram$/m);
    assert.match(text, /^process_cpu_seconds_total /m);
    assert.match(text, /^nodejs_eventloop_lag_seconds /m);
  });

  it('counts requests by route and code, never by raw path, unknown host or client IP', () => {
    assert.equal(find('rauta_requests_total', { namespace: 'default', ingress: 'web', service: 'web', method: 'GET', code: '200' })?.value, 3);
    assert.equal(find('rauta_requests_total', { namespace: 'default', ingress: 'web', service: 'web', method: 'OTHER', code: '200' })?.value, 1);
    assert.equal(find('rauta_requests_total', { namespace: '', ingress: '', service: '', method: 'GET', code: '404' })?.value, 1);
    assert.equal(find('rauta_requests_total', { namespace: 'default', ingress: 'dead', service: 'dead', method: 'GET', code: '502' })?.value, 1);
    assert.equal(find('rauta_request_duration_seconds_count', { namespace: 'default', ingress: 'web', service: 'web', method: 'GET' })?.value, 3);
    assert.doesNotMatch(text, /secret\/path|random-host-123|127\.0\.0\.1|PROPFIND/);
  });

  it('counts backend errors, config reloads and rejected Ingresses', () => {
    assert.equal(find('rauta_backend_errors_total', { namespace: 'default', service: 'dead', reason: 'RAUTA_ERR_UPSTREAM_CONNECT' })?.value, 1);
    assert.equal(find('rauta_backend_errors_total', { namespace: 'default', service: 'missing', reason: 'RAUTA_ERR_BACKEND_INVALID' })?.value, 1);
    assert.equal(find('rauta_config_reloads_total', { result: 'success' })?.value, 1);
    assert.equal(find('rauta_ingress_rejected', {})?.value, 1);
    assert.equal(find('rauta_nats_connected', {})?.value, 0);
    assert.ok((find('rauta_events_published_total', { sink: 'ring' })?.value ?? 0) >= 7);
    assert.equal(find('rauta_events_dropped_total', { sink: 'ring' })?.value, 0);
    assert.equal(find('rauta_events_published_total', { sink: 'metrics' })?.value, find('rauta_events_published_total', { sink: 'ring' })?.value);
  });

  it('tracks open client connections', async () => {
    const gauge = async () => parse((await get(rauta.adminPort, '/metrics')).body).find((s) => s.name === 'rauta_active_connections')?.value;
    assert.equal(await gauge(), 0);
    const sock = connect({ host: '127.0.0.1', port: rauta.httpPort });
    await new Promise((r) => sock.once('connect', r));
    const deadline = Date.now() + 2000;
    while ((await gauge()) !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await gauge(), 1);
    sock.destroy();
    while ((await gauge()) !== 0 && Date.now() < deadline + 2000) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await gauge(), 0);
  });
});
