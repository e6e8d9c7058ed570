import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { FakeApiServer } from './support/fake-apiserver/server.ts';
import { backendRef, gateway, gatewayClass, httpRoute, parent } from './support/gateway-manifests.ts';
import { type RunningKubeRauta, startKubeRauta, waitFor } from './support/kube-harness.ts';
import { endpointSlice, service } from './support/manifests.ts';

/**
 * An HTTPRoute changed while traffic flows (weights shifted, a rule added, the backend switched): every
 * request in flight or arriving meanwhile is answered by a backend, none fails. Bounded: 3 changes,
 * at most 6 s of traffic.
 */
function fetchService(port: number, agent: Agent): Promise<{ status: number; service: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/shop', agent, headers: { host: 'shop.example.com' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let service = '';
        try {
          service = (JSON.parse(Buffer.concat(chunks).toString()) as { service: string }).service;
        } catch { /* not an echo answer */ }
        resolve({ status: res.statusCode ?? 0, service });
      });
      res.on('error', () => resolve({ status: 0, service: '' }));
    });
    req.on('error', () => resolve({ status: 0, service: '' }));
    req.end();
  });
}

describe('gateway - a route changed under traffic', () => {
  let api: FakeApiServer;
  let rauta: RunningKubeRauta;
  const echoes: EchoServer[] = [];
  const route = (rules: unknown[]) => httpRoute('shop', 'store', { parentRefs: [parent('shop', 'gw')], hostnames: ['shop.example.com'], rules: rules as never });

  before(async () => {
    api = await FakeApiServer.start();
    api.installGatewayApi();
    for (const [i, name] of ['v1', 'v2'].entries()) {
      const echo = await startEcho({ namespace: 'shop', ingress: '', service: name, pod: `${name}-0` }, `127.0.0.4${i}`);
      echoes.push(echo);
      api.put(service(name, { namespace: 'shop' }));
      api.put(endpointSlice(name, echo.port, [{ ip: `127.0.0.4${i}`, pod: `${name}-0` }], { namespace: 'shop' }));
    }
    api.put(gatewayClass());
    api.put(gateway('shop', 'gw', [{ name: 'web' }]));
    api.put(route([{ backendRefs: [backendRef('v1', 80)] }]));
    rauta = await startKubeRauta(api);
    await rauta.waitForTable((t) => t.routes.some((r) => r.source?.kind === 'HTTPRoute'), 10_000, 'the HTTPRoute served');
  });
  after(async () => {
    await rauta?.stop();
    await api?.close();
    for (const e of echoes) await e.close();
  });

  it('no request fails while the route changes three times', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const results: { status: number; service: string }[] = [];
    let stop = false;
    const deadline = Date.now() + 6000;
    const loop = async () => {
      while (!stop && Date.now() < deadline && results.length < 5000) results.push(await fetchService(rauta.httpPort, agent));
    };
    const clients = [loop(), loop(), loop()];
    const tables = () => rauta.routes.table;
    const changes: unknown[][] = [
      [{ backendRefs: [backendRef('v1', 80, { weight: 50 }), backendRef('v2', 80, { weight: 50 })] }],
      [{ matches: [{ path: { value: '/shop' } }], backendRefs: [backendRef('v2', 80)] }, { backendRefs: [backendRef('v1', 80)] }],
      [{ backendRefs: [backendRef('v2', 80)] }],
    ];
    for (const rules of changes) {
      const before = tables();
      await new Promise((r) => setTimeout(r, 300));
      api.put(route(rules));
      await waitFor(() => tables() !== before, 5000, 'the change applied');
    }
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(clients);
    agent.destroy();
    assert.ok(results.length > 50, `only ${results.length} requests were made`);
    assert.deepEqual(results.filter((r) => r.status !== 200), [], 'every request was answered by a backend');
    assert.ok(results.some((r) => r.service === 'v1') && results.some((r) => r.service === 'v2'));
    assert.equal(results[results.length - 1].service, 'v2', 'the last change is in force');
  });
});
