import assert from 'node:assert/strict';
import { Agent, type Server, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ActiveRequests } from '../src/proxy/active-requests.ts';
import { Balancer } from '../src/proxy/balance/balancer.ts';
import { createSelectorFactory } from '../src/proxy/balance/selector-factory.ts';
import { createHttpServer } from '../src/proxy/http-server.ts';
import type { ProxyDeps } from '../src/proxy/http1-handler.ts';
import { InFlight } from '../src/proxy/in-flight.ts';
import { type RequestObserver, type RequestRecord, noopObserver } from '../src/proxy/request-record.ts';
import { RouteState } from '../src/routing/route-state.ts';
import { createUpstreamClient } from '../src/proxy/upstream-client.ts';
import { RouteTable } from '../src/routing/route-table.ts';
import type { Backend, Route, RoutePolicy } from '../src/routing/types.ts';
import { DEFAULT_POLICY } from '../src/translate/annotations.ts';
import { get } from './support/client.ts';
import { endpoint } from './support/endpoints.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { type PodSpec, Pods, hit, load, tally } from './support/pods.ts';

interface Finished { attempts: number; status: number; endpoints: string[]; error: string | undefined }

/** A proxy built from its parts, with an observer that records every attempt and every finish. */
async function proxyFor(port: number, live: readonly PodSpec[], deadIps: string[], policy: Partial<RoutePolicy>, retryBudgetMs?: number) {
  const eps = [...live.map((s) => endpoint(s.ip, port, { pod: s.pod })), ...deadIps.map((ip) => endpoint(ip, port, { pod: `dead-${ip}` }))];
  const backend: Backend = { id: 'default/web:80', namespace: 'default', service: 'web', servicePort: '80', endpoints: eps };
  const route: Route = { ingress: { namespace: 'default', name: 'web' }, host: '', path: '/', pathType: 'Prefix', backend, policy: { ...DEFAULT_POLICY, ...policy }, tls: false };
  const routes = new RouteState(RouteTable.empty());
  const inFlight = new InFlight();
  const balancer = new Balancer(createSelectorFactory({ inFlight, maglevTableSize: 251 }));
  routes.participate({ name: 'balancer', prepare: ({ table }) => balancer.prepare(table) });
  routes.swap(new RouteTable({ routes: [route], backends: [backend], diagnostics: [], certificates: [], ingresses: ['default/web'] }));
  const finished: Finished[] = [];
  const perRequest = new Map<RequestRecord, string[]>();
  const observer: RequestObserver = {
    ...noopObserver,
    attemptFinished(rec, ep) {
      const list = perRequest.get(rec) ?? [];
      list.push(ep.key);
      perRequest.set(rec, list);
    },
    finish(rec) {
      finished.push({ attempts: rec.attempts, status: rec.statusCode, endpoints: perRequest.get(rec) ?? [], error: rec.error?.code });
    },
  };
  const upstream = createUpstreamClient({ connectTimeoutMs: 1000, idleTimeoutMs: 4000 });
  const deps: ProxyDeps = {
    routes, balancer, observer, upstream, inFlight, active: new ActiveRequests(),
    connectTimeoutMs: 1000, responseTimeoutMs: 5000, retryBudgetMs, draining: () => false,
  };
  const server: Server = createHttpServer(deps, { maxHeaderSize: 16384, headersTimeoutMs: 5000, keepAliveTimeoutMs: 5000 });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    finished,
    async close() {
      await upstream.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('retries - a dead endpoint in the set', () => {
  let pods: Pods;
  before(async () => {
    pods = await Pods.start('web', ['127.0.11.1', '127.0.11.2']);
  });
  after(async () => {
    await pods?.close();
  });

  it('one of three endpoints refuses connections: 150 requests, 0 failures, attempts recorded', async (t) => {
    const proxy = await proxyFor(pods.port, pods.specs, ['127.0.11.3'], {});
    t.after(() => proxy.close());
    const replies = await load(150, 5, () => hit(proxy.port, '/', { host: 'web.test' }));
    assert.equal(replies.filter((r) => r.status !== 200).length, 0);
    assert.deepEqual([...tally(replies).keys()].sort(), ['web-0', 'web-1']);
    const retried = proxy.finished.filter((f) => f.attempts === 2);
    assert.ok(retried.length >= 40, `round robin hits the dead endpoint every third pick: ${retried.length} retried`);
    for (const f of retried) {
      assert.equal(f.endpoints.length, 2);
      assert.equal(f.endpoints[0], `127.0.11.3:${pods.port}`);
      assert.notEqual(f.endpoints[1], f.endpoints[0], 'never the same endpoint twice');
    }
    assert.ok(proxy.finished.every((f) => f.attempts >= 1 && f.attempts <= 2 && f.status === 200));
  });

  it('a POST whose first endpoint refuses the connection is retried with its whole body', async (t) => {
    const proxy = await proxyFor(pods.port, pods.specs.slice(0, 1), ['127.0.11.3'], { loadBalance: 'maglev', hashBy: { kind: 'header', name: 'x-k' } });
    t.after(() => proxy.close());
    let retriedOnce = false;
    for (let i = 0; i < 12; i++) {
      const body = 'x'.repeat(5000 + i);
      const r = await get(proxy.port, '/upload', { host: 'web.test', 'content-type': 'text/plain', 'x-k': `k${i}` }, 'POST', body);
      assert.equal(r.status, 200, r.body);
      const echoed = JSON.parse(r.body) as { method: string; body_bytes: number; pod: string };
      assert.deepEqual([echoed.method, echoed.body_bytes, echoed.pod], ['POST', 5000 + i, 'web-0']);
      if (proxy.finished[i].attempts === 2) retriedOnce = true;
    }
    assert.ok(retriedOnce, 'some key hashed to the dead endpoint first');
  });

  it('at most rauta.io/retries extra attempts, each on a different endpoint', async (t) => {
    const proxy = await proxyFor(pods.port, [], ['127.0.11.4', '127.0.11.5', '127.0.11.6', '127.0.11.7'], { retries: 2 });
    t.after(() => proxy.close());
    const r = await hit(proxy.port, '/', { host: 'web.test' });
    assert.equal(r.status, 502);
    const f = proxy.finished[0];
    assert.equal(f.attempts, 3);
    assert.equal(new Set(f.endpoints).size, 3);
    assert.equal(f.error, 'RAUTA_ERR_UPSTREAM_CONNECT');
  });

  it('after a failed POST the client connection carries the next request (the unsent body is drained)', async (t) => {
    const proxy = await proxyFor(pods.port, [], ['127.0.11.4'], { retries: 0 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    t.after(async () => {
      agent.destroy();
      await proxy.close();
    });
    const send = (method: string, body?: string) => new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: proxy.port, method, path: '/', agent, headers: { host: 'web.test' }, signal: AbortSignal.timeout(3000) }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
      });
      req.on('error', reject);
      req.end(body);
    });
    assert.deepEqual(await send('POST', 'y'.repeat(20_000)), { status: 502, reused: false });
    assert.deepEqual(await send('GET'), { status: 502, reused: true });
  });

  it('retries: 0 means one attempt; an exhausted retry budget stops retrying', async (t) => {
    const noRetry = await proxyFor(pods.port, [], ['127.0.11.4', '127.0.11.5'], { retries: 0 });
    t.after(() => noRetry.close());
    assert.equal((await hit(noRetry.port, '/', { host: 'web.test' })).status, 502);
    assert.equal(noRetry.finished[0].attempts, 1);

    const noBudget = await proxyFor(pods.port, [], ['127.0.11.4', '127.0.11.5'], { retries: 2 }, 0);
    t.after(() => noBudget.close());
    assert.equal((await hit(noBudget.port, '/', { host: 'web.test' })).status, 502);
    assert.equal(noBudget.finished[0].attempts, 1);
  });
});

describe('retries - one of three pods dies under load', () => {
  let pods: Pods;
  let rauta: RunningRauta;
  before(async () => {
    pods = await Pods.start('live', ['127.0.12.1', '127.0.12.2', '127.0.12.3']);
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('live', { rules: [{ host: 'live.test', paths: [{ path: '/', service: 'live' }] }] }),
      service('live'),
      endpointSlice('live', pods.port, pods.endpoints),
    ]));
  });
  after(async () => {
    await rauta?.stop();
    await pods?.close();
  });

  it('a bounded load of 600 GETs sees 0 failed requests while live-1 is killed mid-way', async () => {
    let sent = 0;
    const replies = await load(600, 8, async () => {
      if (++sent === 200) void pods.stopPod('live-1');
      return hit(rauta.httpPort, '/', { host: 'live.test' });
    });
    const failed = replies.filter((r) => r.status !== 200).length;
    process.stdout.write(`# one of three pods killed under load: ${failed} failed of ${replies.length}\n`);
    assert.equal(replies.length, 600);
    assert.equal(failed, 0);
    const t = tally(replies);
    assert.ok((t.get('live-1') ?? 0) < 250, `live-1 served ${t.get('live-1')} after being killed at request 200`);
  });
});
