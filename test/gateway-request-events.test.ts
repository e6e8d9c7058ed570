import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type NatsConnection, connect } from 'nats';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { get, getJson } from './support/client.ts';
import { assertValidEvent } from './support/event-schema.ts';
import { backendRef, gateway, gatewayClass, httpRoute, parent } from './support/gateway-manifests.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { NatsServer } from './support/nats-server.ts';
import { parsePrometheus } from './support/prometheus-text.ts';

/**
 * Every request says which route served it: the NATS event (schema-valid), the Prometheus series and
 * /routes name the Gateway API kind, route and rule; an Ingress's event stays exactly as before.
 */
interface Ev { context: { namespace?: string; entities: { kind: string; id: string }[]; correlation_keys: string[] }; data: { path: string; route?: Record<string, unknown> } }

describe('gateway - request events name the route that served them', () => {
  let nats: NatsServer;
  let sub: NatsConnection;
  let echo: EchoServer;
  let rauta: RunningRauta;
  const events: Ev[] = [];
  const configEvents: { type: string; context: { entities: { kind: string; id: string }[] }; data: Record<string, unknown> }[] = [];

  before(async () => {
    nats = await NatsServer.start();
    sub = await connect({ servers: nats.url });
    sub.subscribe('rauta.requests', { callback: (err, msg) => { if (!err) events.push(JSON.parse(new TextDecoder().decode(msg.data)) as Ev); } });
    sub.subscribe('rauta.config', { callback: (err, msg) => { if (!err) configEvents.push(JSON.parse(new TextDecoder().decode(msg.data))); } });
    await sub.flush();
    echo = await startEcho({ namespace: 'shop', ingress: '', service: 'cart', pod: 'cart-0' }, '127.0.0.7');
    rauta = await startStandalone(toYaml([
      gatewayClass(), gateway('shop', 'gw', [{ name: 'web' }]),
      httpRoute('shop', 'store', { parentRefs: [parent('shop', 'gw')], hostnames: ['store.test'], rules: [
        { name: 'cart', matches: [{ path: { type: 'PathPrefix', value: '/cart' } }], backendRefs: [backendRef('cart', 80)] },
        { matches: [{ path: { type: 'RegularExpression', value: '/items/[0-9]+' } }], backendRefs: [backendRef('cart', 80)] },
      ] }),
      httpRoute('shop', 'broken', { parentRefs: [parent('shop', 'gw')], hostnames: ['broken.test'], rules: [{ backendRefs: [backendRef('missing', 80)] }] }),
      ingressClass(),
      ingress('legacy', { namespace: 'shop', rules: [{ host: 'legacy.test', paths: [{ path: '/', service: 'cart' }] }] }),
      service('cart', { namespace: 'shop' }),
      endpointSlice('cart', echo.port, [{ ip: '127.0.0.7', pod: 'cart-0' }], { namespace: 'shop' }),
    ]), { NATS_URL: nats.url });
    const deadline = Date.now() + 10_000;
    while (!/^rauta_nats_connected 1$/m.test((await get(rauta.adminPort, '/metrics')).body)) {
      if (Date.now() > deadline) throw new Error('RAUTA did not connect to NATS');
      await new Promise((r) => setTimeout(r, 25));
    }
  });
  after(async () => {
    await rauta?.stop();
    await echo?.close();
    await sub?.close();
    await nats?.kill();
  });

  it('events carry kind, name and rule for Gateway API routes, and nothing new for Ingresses', async () => {
    for (const [host, path] of [['store.test', '/cart/1'], ['store.test', '/items/42'], ['legacy.test', '/x']]) {
      assert.equal((await get(rauta.httpPort, path, { host })).status, 200);
    }
    const deadline = Date.now() + 10_000;
    while (events.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const by = (p: string) => events.find((e) => e.data.path === p);
    for (const e of events) assertValidEvent('request', e);
    assert.deepEqual(by('/cart/1')?.data.route, { ingress: 'store', host: 'store.test', path: '/cart', path_type: 'Prefix', kind: 'HTTPRoute', rule: 'cart' });
    assert.deepEqual(by('/items/42')?.data.route, { ingress: 'store', host: 'store.test', path: '/items/[0-9]+', path_type: 'RegularExpression', kind: 'HTTPRoute', rule: '1' });
    assert.equal(by('/cart/1')?.context.namespace, 'shop');
    assert.ok(by('/cart/1')?.context.entities.some((x) => x.kind === 'httproute' && x.id === 'shop/store'));
    assert.ok(by('/cart/1')?.context.correlation_keys.includes('httproute:shop/store'));
    assert.deepEqual(by('/x')?.data.route, { ingress: 'legacy', host: 'legacy.test', path: '/', path_type: 'Prefix' });
    assert.ok(by('/x')?.context.correlation_keys.includes('ingress:shop/legacy'));
  });

  it('metrics keep their labels: the ingress label says HTTPRoute/<name> for Gateway API routes', async () => {
    const samples = parsePrometheus((await get(rauta.adminPort, '/metrics')).body).filter((s) => s.name === 'rauta_requests_total');
    const byIngress = (v: string) => samples.filter((s) => s.labels.ingress === v).reduce((n, s) => n + s.value, 0);
    assert.equal(byIngress('HTTPRoute/store'), 2);
    assert.equal(byIngress('legacy'), 1);
    assert.deepEqual(Object.keys(samples[0].labels).sort(), ['code', 'ingress', 'method', 'namespace', 'service']);
  });

  it('/routes shows each route\'s kind and rule', async () => {
    const { json } = await getJson<{ routes: { kind: string; ingress: string; rule?: string; path: string }[] }>(rauta.adminPort, '/routes');
    assert.deepEqual(json.routes.map((r) => [r.kind, r.ingress, r.rule ?? null, r.path]).sort(), [
      ['HTTPRoute', 'shop/broken', '0', '/'], ['HTTPRoute', 'shop/store', '1', '/items/[0-9]+'], ['HTTPRoute', 'shop/store', 'cart', '/cart'], ['Ingress', 'shop/legacy', null, '/'],
    ]);
  });

  it('a rejected Gateway API route is reported on rauta.config under its own kind', async () => {
    const deadline = Date.now() + 5000;
    const find = () => configEvents.find((e) => e.type === 'config.ingress_rejected' && e.data.kind === 'HTTPRoute');
    while (find() === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const e = find();
    assert.ok(e, 'a config event for the broken HTTPRoute');
    assertValidEvent('config', e);
    assert.deepEqual([e.data.ingress, e.data.reason], ['broken', 'BackendNotFound']);
    assert.deepEqual(e.context.entities, [{ kind: 'httproute', id: 'shop/broken', name: 'broken' }]);
    assert.equal((await get(rauta.httpPort, '/', { host: 'broken.test' })).status, 500);
  });
});
