import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { get } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { scrape, scrapeUntil } from './support/prometheus-text.ts';

describe('telemetry - backend endpoint gauges and health transitions', () => {
  let web: EchoServer;
  let rauta: RunningRauta;
  before(async () => {
    web = await startEcho({ namespace: 'shop', ingress: 'cart', service: 'cart', pod: 'cart-0' }, '127.0.0.22');
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('cart', { namespace: 'shop', rules: [{ host: 'cart.test', paths: [{ path: '/', service: 'cart' }, { path: '/api', service: 'cart' }] }] }),
      service('cart', { namespace: 'shop' }),
      // Same port on both pods: 127.0.0.23 refuses connections; 127.0.0.24 is not ready.
      endpointSlice('cart', web.port, [{ ip: '127.0.0.22', pod: 'cart-0' }, { ip: '127.0.0.23', pod: 'cart-1' }, { ip: '127.0.0.24', pod: 'cart-2', ready: false }], { namespace: 'shop' }),
      // A Service with no ready pod.
      ingress('idle', { namespace: 'shop', rules: [{ host: 'idle.test', paths: [{ path: '/', service: 'idle' }] }] }),
      service('idle', { namespace: 'shop' }),
      endpointSlice('idle', web.port, [{ ip: '127.0.0.25', pod: 'idle-0', ready: false }], { namespace: 'shop' }),
    ]), { RAUTA_PASSIVE_FAILURE_THRESHOLD: '1' });
  });
  after(async () => {
    await rauta.stop();
    await web.close();
  });

  it('rauta_backend_ready_endpoints counts ready endpoints per Service once, whatever the paths; 0 for a Service without ready pods', async () => {
    assert.equal(await scrape(rauta.adminPort, 'rauta_backend_ready_endpoints', { namespace: 'shop', service: 'cart' }), 2);
    assert.equal(await scrape(rauta.adminPort, 'rauta_backend_ready_endpoints', { namespace: 'shop', service: 'idle' }), 0);
    assert.equal(await scrape(rauta.adminPort, 'rauta_backend_ejected_endpoints', { namespace: 'shop', service: 'cart' }), 0);
    assert.equal((await get(rauta.httpPort, '/', { host: 'idle.test' })).status, 503);
  });

  it('an ejection shows in rauta_backend_ejected_endpoints and rauta_backend_health_transitions_total{state="ejected"}', async () => {
    assert.equal(await scrape(rauta.adminPort, 'rauta_backend_health_transitions_total', { namespace: 'shop', service: 'cart', state: 'ejected' }), undefined);
    // Round robin over two endpoints: within two requests one attempt goes to the refusing pod, which
    // (threshold 1) is ejected; the request itself is retried on the other pod.
    for (let i = 0; i < 4; i++) assert.equal((await get(rauta.httpPort, '/', { host: 'cart.test' })).status, 200);
    assert.equal(await scrapeUntil(rauta.adminPort, 'rauta_backend_ejected_endpoints', { namespace: 'shop', service: 'cart' }, 1), 1);
    assert.equal(await scrape(rauta.adminPort, 'rauta_backend_ready_endpoints', { namespace: 'shop', service: 'cart' }), 2);
    assert.equal(await scrape(rauta.adminPort, 'rauta_backend_health_transitions_total', { namespace: 'shop', service: 'cart', state: 'ejected' }), 1);
  });

  it('a Service that leaves the route table leaves the gauges', async () => {
    await rauta.update(toYaml([
      ingressClass(),
      ingress('cart', { namespace: 'shop', rules: [{ host: 'cart.test', paths: [{ path: '/', service: 'cart' }] }] }),
      service('cart', { namespace: 'shop' }),
      endpointSlice('cart', web.port, [{ ip: '127.0.0.22', pod: 'cart-0' }], { namespace: 'shop' }),
    ]));
    assert.equal(await scrape(rauta.adminPort, 'rauta_backend_ready_endpoints', { namespace: 'shop', service: 'idle' }), undefined);
    assert.equal(await scrape(rauta.adminPort, 'rauta_backend_ready_endpoints', { namespace: 'shop', service: 'cart' }), 1);
    assert.equal(await scrape(rauta.adminPort, 'rauta_backend_ejected_endpoints', { namespace: 'shop', service: 'cart' }), 0);
  });
});
