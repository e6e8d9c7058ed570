import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { get } from './support/client.ts';
import { FakeApiServer } from './support/fake-apiserver/server.ts';
import { type RunningKubeRauta, startKubeRauta, waitFor } from './support/kube-harness.ts';
import { endpointSlice, ingress, ingressClass, service } from './support/manifests.ts';

const ING = 'networking.k8s.io/v1';
const served = (rauta: RunningKubeRauta, name: string) => rauta.routes.table.ingresses.includes(`default/${name}`);

for (const expiredAs of ['event', 'status'] as const) {
  describe(`kubernetes - survives API trouble (410 reported as ${expiredAs === 'event' ? 'an ERROR watch event' : 'HTTP 410'})`, () => {
    let api: FakeApiServer;
    let echo: EchoServer;
    let rauta: RunningKubeRauta;

    before(async () => {
      api = await FakeApiServer.start({ expiredAs });
      echo = await startEcho({ namespace: 'default', ingress: 'web', service: 'web', pod: 'web-0' }, '127.0.0.4');
      for (const o of [
        ingressClass(),
        ingress('web', { rules: [{ host: 'web.test', paths: [{ path: '/', service: 'web' }] }] }),
        service('web'),
        endpointSlice('web', echo.port, [{ ip: '127.0.0.4', pod: 'web-0' }]),
      ]) api.put(o);
      rauta = await startKubeRauta(api);
    });
    after(async () => {
      await rauta.stop();
      await api.close();
      await echo.close();
    });

    it('re-establishes dropped watches (reset sockets and clean ends)', async () => {
      for (const mode of ['abort', 'close'] as const) {
        await waitFor(() => api.activeWatches >= 5, 5000, 'five open watches');
        api.dropWatches(mode);
        const name = `after-${mode}`;
        api.put(ingress(name, { rules: [{ host: `${name}.test`, paths: [{ path: '/', service: 'web' }] }] }));
        await rauta.waitForTable(() => served(rauta, name), 8000, `${name} served`);
        assert.equal((await get(rauta.httpPort, '/', { host: `${name}.test` })).status, 200);
      }
    });

    it('relists after the history it would resume from was compacted (410), seeing deletions made meanwhile', async () => {
      api.put(ingress('doomed', { rules: [{ host: 'doomed.test', paths: [{ path: '/', service: 'web' }] }] }));
      await rauta.waitForTable(() => served(rauta, 'doomed'), 5000, 'doomed served');
      const before = api.requests.length;
      api.failFor(400); // drops every watch; reconnects come after the compaction below
      api.remove(ING, 'Ingress', 'default', 'doomed');
      api.put(ingress('fresh', { rules: [{ host: 'fresh.test', paths: [{ path: '/', service: 'web' }] }] }));
      api.compact();
      await rauta.waitForTable(() => !served(rauta, 'doomed') && served(rauta, 'fresh'), 10_000, 'doomed gone and fresh served');
      const after = api.requests.slice(before).filter((r) => r.path === '/apis/networking.k8s.io/v1/ingresses');
      assert.ok(after.some((r) => !r.query.includes('watch=true') && r.status === 200), 'a fresh list of Ingresses after the 410');
      if (expiredAs === 'status') assert.ok(after.some((r) => r.query.includes('watch=true') && r.status === 410), 'a watch answered 410');
      assert.equal((await get(rauta.httpPort, '/', { host: 'doomed.test' })).status, 404);
    });
  });
}

describe('kubernetes - a 10 s API outage', () => {
  let api: FakeApiServer;
  let echo: EchoServer;
  let rauta: RunningKubeRauta;

  before(async () => {
    api = await FakeApiServer.start();
    echo = await startEcho({ namespace: 'default', ingress: 'web', service: 'web', pod: 'web-0' }, '127.0.0.5');
    for (const o of [
      ingressClass(),
      ingress('web', { rules: [{ host: 'web.test', paths: [{ path: '/', service: 'web' }] }] }),
      service('web'),
      endpointSlice('web', echo.port, [{ ip: '127.0.0.5', pod: 'web-0' }]),
    ]) api.put(o);
    rauta = await startKubeRauta(api);
  });
  after(async () => {
    await rauta.stop();
    await api.close();
    await echo.close();
  });

  it('keeps routing and ready through 5xx and dropped watches, then applies what changed meanwhile', async () => {
    const outageMs = 10_000;
    api.failFor(outageMs, 503);
    const tableDuringOutage = rauta.routes.table;
    api.put(ingress('meanwhile', { rules: [{ host: 'meanwhile.test', paths: [{ path: '/', service: 'web' }] }] }));
    const until = Date.now() + outageMs - 500;
    let probes = 0;
    while (Date.now() < until) {
      assert.equal((await get(rauta.httpPort, '/', { host: 'web.test' })).status, 200, 'routing works during the outage');
      assert.equal((await get(rauta.adminPort, '/readyz')).status, 200, '/readyz stays 200');
      probes++;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(probes >= 10, `probed ${probes} times`);
    assert.equal(rauta.routes.table, tableDuringOutage, 'no table was emitted while the API server was down');
    assert.ok(api.requests.some((r) => r.status === 503), 'the informers did hit the outage');
    await rauta.waitForTable(() => served(rauta, 'meanwhile'), 10_000, 'the change made during the outage');
    assert.equal((await get(rauta.httpPort, '/', { host: 'meanwhile.test' })).status, 200);
  });
});
