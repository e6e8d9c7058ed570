import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type NatsConnection, connect } from 'nats';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load.ts';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { type Telemetry, startTelemetry } from '../src/telemetry/telemetry.ts';
import { get } from './support/client.ts';
import { type RequestEventJson, assertValidEvent, validRequestEvents } from './support/event-schema.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { NatsServer } from './support/nats-server.ts';

const manifests = (echoPort: number) => toYaml([
  ingressClass(),
  ingress('shop', { namespace: 'prod', rules: [{ host: 'shop.test', paths: [{ path: '/cart', pathType: 'Prefix', service: 'cart' }] }] }),
  service('cart', { namespace: 'prod' }),
  endpointSlice('cart', echoPort, [{ ip: '127.0.0.7', pod: 'cart-7d9f', node: 'node-b', zone: 'zone-2' }], { namespace: 'prod' }),
]);

/** Collects every message on `subject`, parsed, schema-checked by the caller. */
function collector(nc: NatsConnection, subject: string): unknown[] {
  const got: unknown[] = [];
  nc.subscribe(subject, { callback: (err, msg) => { if (!err) got.push(JSON.parse(new TextDecoder().decode(msg.data))); } });
  return got;
}

async function until(what: string, pred: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function metric(rauta: RunningRauta, line: RegExp): Promise<number> {
  const m = (await get(rauta.adminPort, '/metrics')).body.match(line);
  return m === null ? Number.NaN : Number(m[1]);
}
const natsConnected = (r: RunningRauta) => metric(r, /^rauta_nats_connected (\S+)$/m);
const natsDropped = (r: RunningRauta) => metric(r, /^rauta_events_dropped_total\{sink="nats"\} (\S+)$/m);

/** One request over a keep-alive agent; resolves with the status (0 on a transport error, which counts as a failure). */
function proxied(port: number, agent: Agent, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { host: 'shop.test' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

describe('telemetry - NATS rauta.requests', () => {
  let nats: NatsServer;
  let sub: NatsConnection;
  let echo: EchoServer;
  let rauta: RunningRauta;
  let requests: unknown[];
  let mirror: unknown[];
  let config: unknown[];

  before(async () => {
    nats = await NatsServer.start();
    sub = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    requests = collector(sub, 'rauta.requests');
    mirror = collector(sub, 'observations.rauta');
    config = collector(sub, 'rauta.config');
    await sub.flush();
    echo = await startEcho({ namespace: 'prod', ingress: 'shop', service: 'cart', pod: 'cart-7d9f' }, '127.0.0.7');
    rauta = await startStandalone(manifests(echo.port), {
      NATS_URL: nats.url,
      RAUTA_NATS_MIRROR_SUBJECT: 'observations.rauta',
      RAUTA_NATS_BUFFER_SIZE: '20',
      RAUTA_CLUSTER_NAME: 'nats-test',
    });
    await until('RAUTA connected to NATS', async () => (await natsConnected(rauta)) === 1);
  });
  after(async () => {
    await rauta?.stop();
    await echo?.close();
    await sub?.close();
    await nats?.kill();
  });

  it('publishes exactly one schema-valid event per request, with route, pod and status', async () => {
    const paths = ['/cart/1', '/cart/2', '/cart/3', '/cart/4', '/nothing'];
    for (const p of paths) await get(rauta.httpPort, p, { host: p === '/nothing' ? 'other.test' : 'shop.test' });
    const mine = () => (requests as RequestEventJson[]).filter((e) => paths.includes(e.data.path));
    await until('5 events on rauta.requests', () => mine().length >= 5);
    await new Promise((r) => setTimeout(r, 200));
    const events = mine();
    for (const e of events) assertValidEvent('request', e);
    assert.deepEqual(events.map((e) => e.data.path), paths);
    for (const e of events.slice(0, 4)) {
      assert.equal(e.data.status_code, 200);
      assert.equal(e.context.namespace, 'prod');
      assert.deepEqual(e.data.route, { ingress: 'shop', host: 'shop.test', path: '/cart', path_type: 'Prefix' });
      assert.equal(e.data.backend?.pod, 'cart-7d9f');
      assert.equal(e.data.backend?.service, 'cart');
      assert.equal(e.data.backend?.pod_ip, '127.0.0.7');
    }
    assert.equal(events[4].data.status_code, 404);
    // The mirror subject carries the same events.
    await until('mirror events', () => (mirror as RequestEventJson[]).filter((e) => paths.includes(e.data.path)).length >= 5);
    for (const e of mirror) assertValidEvent('request', e);
    assert.deepEqual((mirror as RequestEventJson[]).filter((e) => paths.includes(e.data.path)).map((e) => e.id), events.map((e) => e.id));
  });

  it('publishes the applied route table on rauta.config (held until NATS connected)', async () => {
    await until('a config event', () => config.length >= 1);
    for (const e of config) assertValidEvent('config', e);
    const applied = config.find((e) => (e as { type: string }).type === 'config.applied') as { data: { routes: number } } | undefined;
    assert.ok(applied, 'config.applied event');
    assert.equal(applied.data.routes, 1);
  });

  it('survives a NATS outage mid-load: no failed request, drops counted, /requests works; events flow after restart', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const total = 300;
    const statuses: number[] = [];
    let next = 0;
    let killed: Promise<void> | undefined;
    const worker = async () => {
      while (next < total) {
        const i = next++;
        if (i === 100) killed = nats.kill();
        statuses.push(await proxied(rauta.httpPort, agent, `/cart/load-${i}`));
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    await killed;
    agent.destroy();
    assert.equal(statuses.length, total);
    assert.deepEqual(statuses.filter((s) => s !== 200), [], 'every proxied request succeeded during the outage');
    await until('RAUTA noticed the outage', async () => (await natsConnected(rauta)) === 0);

    // More traffic while NATS is down: beyond the 20-event buffer, events are dropped and counted.
    for (let i = 0; i < 40; i++) assert.equal((await get(rauta.httpPort, `/cart/down-${i}`, { host: 'shop.test' })).status, 200);
    await until('nats drops counted', async () => (await natsDropped(rauta)) > 0);

    const ring = validRequestEvents(JSON.parse((await get(rauta.adminPort, '/requests?format=json&limit=5')).body));
    assert.equal(ring.length, 5);
    assert.equal(ring[0].data.path, '/cart/down-39');

    await nats.restart();
    await until('RAUTA reconnected', async () => (await natsConnected(rauta)) === 1, 15_000);
    await until('test subscriber reconnected', () => !sub.isClosed() && sub.info !== undefined);
    await sub.flush();
    for (let i = 0; i < 5; i++) assert.equal((await get(rauta.httpPort, `/cart/after-${i}`, { host: 'shop.test' })).status, 200);
    await until('events after restart', () => (requests as RequestEventJson[]).filter((e) => e.data.path.startsWith('/cart/after-')).length === 5);
    for (const e of requests) assertValidEvent('request', e);
  });
});

describe('telemetry - NATS rauta.backends and rauta.config from the publisher functions', () => {
  let nats: NatsServer;
  let sub: NatsConnection;
  let telemetry: Telemetry;
  before(async () => {
    nats = await NatsServer.start();
    sub = await connect({ servers: nats.url });
    const logger = pino({ level: 'silent' });
    const { config } = loadConfig([], { NATS_URL: nats.url, RAUTA_CLUSTER_NAME: 'c1', NODE_NAME: 'n1' });
    telemetry = await startTelemetry(config, logger);
    await until('telemetry connected', async () => (await telemetry.renderMetrics()).body.includes('rauta_nats_connected 1'));
  });
  after(async () => {
    await telemetry?.stop();
    await sub?.close();
    await nats?.kill();
  });

  it('publishes health state changes on rauta.backends', async () => {
    const backends = collector(sub, 'rauta.backends');
    await sub.flush();
    telemetry.publishBackendChange({
      namespace: 'prod', service: 'cart', endpoint: { ip: '10.0.1.42', port: 8080, pod: 'cart-7d9f', node: 'node-b', zone: 'zone-2' },
      previous: 'healthy', current: 'unhealthy', check: 'active', reason: 'ProbeTimeout', message: 'GET /healthz timed out after 1000 ms',
    });
    telemetry.publishBackendChange({ namespace: 'prod', service: 'cart', endpoint: { ip: '10.0.1.42', port: 8080 }, previous: 'unhealthy', current: 'healthy', check: 'passive', reason: 'ProbePassed' });
    await until('2 backend events', () => backends.length === 2);
    for (const e of backends) assertValidEvent('backend', e);
    const [down, up] = backends as { severity: string; outcome: string; context: { cluster: string; entities: { kind: string }[] }; data: { current: string } }[];
    assert.equal(down.severity, 'warning');
    assert.equal(down.outcome, 'timeout');
    assert.equal(down.context.cluster, 'c1');
    assert.deepEqual(down.context.entities.map((x) => x.kind), ['service', 'pod']);
    assert.equal(up.data.current, 'healthy');
    assert.equal(up.outcome, 'success');
  });

  it('publishes rejected Ingresses on rauta.config', async () => {
    const configEvents = collector(sub, 'rauta.config');
    await sub.flush();
    telemetry.publishIngressRejected({ namespace: 'prod', ingress: 'shop', severity: 'error', reason: 'ServiceNotFound', message: 'service "nope" not found', field: 'spec.rules[0]' });
    await until('a config event', () => configEvents.length === 1);
    assertValidEvent('config', configEvents[0]);
    assert.equal((configEvents[0] as { type: string }).type, 'config.ingress_rejected');
  });
});
