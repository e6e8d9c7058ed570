import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { EndpointSlots } from '../src/proxy/endpoint-slots.ts';
import { get } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { routeYaml } from './support/manifests.ts';

describe('proxy - upstream connections per endpoint are capped, with a bounded queue', () => {
  let rauta: RunningRauta;
  let backend: ReturnType<typeof createServer>;
  let open = 0;
  let maxOpen = 0;
  before(async () => {
    backend = createServer((_req, res) => setTimeout(() => res.end('ok'), 300));
    backend.on('connection', (s) => {
      open++;
      maxOpen = Math.max(maxOpen, open);
      s.once('close', () => { open--; });
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.53', () => r()));
    rauta = await startStandalone(routeYaml('cap.test', [{ ip: '127.0.0.53', port: (backend.address() as AddressInfo).port }]), {
      RAUTA_UPSTREAM_MAX_CONNECTIONS_PER_ENDPOINT: '2',
      RAUTA_UPSTREAM_MAX_PENDING_PER_ENDPOINT: '2',
    });
  });
  after(async () => {
    await rauta.stop();
    backend.closeAllConnections();
    await new Promise((r) => backend.close(r));
  });

  it('2 connections busy and 2 waiting: the next requests get 503 RAUTA_ERR_UPSTREAM_OVERLOADED at once', async () => {
    const results = await Promise.all(Array.from({ length: 7 }, (_, i) => get(rauta.httpPort, `/r${i}`, { host: 'cap.test' })));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, 200, 503, 503, 503]);
    for (const r of results.filter((x) => x.status === 503)) assert.match(r.body, /RAUTA_ERR_UPSTREAM_OVERLOADED/);
    assert.ok(maxOpen <= 2, `the backend had ${maxOpen} connections open at once`);
    // Counted per Service, like other failed attempts, though not held against the pod's health.
    let metrics = '';
    for (let i = 0; i < 100; i++) {
      metrics = (await get(rauta.adminPort, '/metrics')).body;
      if (/reason="RAUTA_ERR_UPSTREAM_OVERLOADED"\} 3/.test(metrics)) break;
      await new Promise((r) => setTimeout(r, 30));
    }
    assert.match(metrics, /rauta_backend_errors_total\{namespace="default",service="web",reason="RAUTA_ERR_UPSTREAM_OVERLOADED"\} 3/);
  });
});

describe('proxy - EndpointSlots', () => {
  it('hands a released slot to the oldest waiter, refuses past the queue, times out waiters', async () => {
    const slots = new EndpointSlots({ maxConnections: 1, maxPending: 1 });
    const first = await slots.acquire('a', 1000);
    assert.equal(typeof first, 'function');
    const waiting = slots.acquire('a', 1000);
    const refused = await slots.acquire('a', 1000);
    assert.equal((refused as { code?: string }).code, 'RAUTA_ERR_UPSTREAM_OVERLOADED');
    (first as () => void)();
    const second = await waiting;
    assert.equal(typeof second, 'function');
    assert.equal(slots.active('a'), 1);
    const late = await slots.acquire('a', 30);
    assert.equal((late as { code?: string }).code, 'RAUTA_ERR_UPSTREAM_OVERLOADED');
    (second as () => void)();
    (second as () => void)();
    assert.equal(slots.active('a'), 0);
    assert.equal(slots.refused, 2);
  });
});
