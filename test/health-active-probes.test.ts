import assert from 'node:assert/strict';
import type { RequestListener } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { echoHandler } from '../src/demo/echo-server.ts';
import { BackendHealth } from '../src/proxy/health/backend-health.ts';
import type { HealthChangeEvent } from '../src/proxy/health/types.ts';
import { RouteTable } from '../src/routing/route-table.ts';
import type { Backend, Route } from '../src/routing/types.ts';
import { DEFAULT_POLICY } from '../src/translate/annotations.ts';
import { getJson } from './support/client.ts';
import { endpoint } from './support/endpoints.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { Pods, eventually, hit, load, tally } from './support/pods.ts';

interface BackendView { id: string; endpoints: { pod: string; health: string }[] }

describe('health - active probes', () => {
  let pods: Pods;
  let rauta: RunningRauta;
  /** Pods whose /healthz answers 500 (the main path keeps working). */
  const failing = new Set<string>();
  const probes = new Map<string, number>();

  const health = async () => {
    const res = await getJson<{ backends: BackendView[] }>(rauta.adminPort, '/backends');
    const b = res.json.backends.find((x) => x.id === 'default/api:80')!;
    return Object.fromEntries(b.endpoints.map((e) => [e.pod, e.health]));
  };

  before(async () => {
    pods = await Pods.start('api', ['127.0.10.1', '127.0.10.2', '127.0.10.3'], (spec): RequestListener => {
      const echo = echoHandler({ namespace: 'default', ingress: 'api', service: 'api', pod: spec.pod });
      return (req, res) => {
        if (req.url !== '/healthz') return echo(req, res);
        probes.set(spec.pod, (probes.get(spec.pod) ?? 0) + 1);
        res.writeHead(failing.has(spec.pod) ? 500 : 200).end();
      };
    });
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('api', {
        annotations: {
          'rauta.io/health-check-path': '/healthz',
          'rauta.io/health-check-interval': '100ms',
          'rauta.io/health-check-timeout': '500ms',
          'rauta.io/health-check-healthy-threshold': '2',
          'rauta.io/health-check-unhealthy-threshold': '2',
        },
        rules: [{ host: 'api.test', paths: [{ path: '/', service: 'api' }] }],
      }),
      service('api'),
      endpointSlice('api', pods.port, pods.endpoints),
    ]));
  });
  after(async () => {
    await rauta?.stop();
    await pods?.close();
  });

  it('probes every endpoint; a pod whose health path returns 500 is taken out, and comes back', async () => {
    await eventually(async () => ['api-0', 'api-1', 'api-2'].every((p) => (probes.get(p) ?? 0) >= 2), 3000, 'probes of every pod');
    assert.deepEqual(await health(), { 'api-0': 'healthy', 'api-1': 'healthy', 'api-2': 'healthy' });

    failing.add('api-1');
    await eventually(async () => (await health())['api-1'] === 'unhealthy', 3000, 'api-1 unhealthy');
    const during = await load(30, 2, () => hit(rauta.httpPort, '/', { host: 'api.test' }));
    assert.ok(during.every((r) => r.status === 200));
    assert.equal(tally(during).get('api-1'), undefined, 'no request reaches the unhealthy pod');

    failing.delete('api-1');
    await eventually(async () => (await health())['api-1'] === 'healthy', 3000, 'api-1 healthy again');
    const afterwards = tally(await load(30, 1, () => hit(rauta.httpPort, '/', { host: 'api.test' })));
    assert.equal(afterwards.get('api-1'), 10);
  });

  it('panic mode: when every endpoint is unhealthy, all of them still serve', async () => {
    for (const p of ['api-0', 'api-1', 'api-2']) failing.add(p);
    await eventually(async () => Object.values(await health()).every((h) => h === 'unhealthy'), 3000, 'every pod unhealthy');
    const replies = await load(30, 1, () => hit(rauta.httpPort, '/', { host: 'api.test' }));
    assert.ok(replies.every((r) => r.status === 200));
    assert.equal(tally(replies).size, 3);
    failing.clear();
  });

  it('stops probing endpoints that leave the table', async () => {
    await rauta.update(toYaml([
      ingressClass(),
      ingress('api', {
        annotations: { 'rauta.io/health-check-path': '/healthz', 'rauta.io/health-check-interval': '100ms' },
        rules: [{ host: 'api.test', paths: [{ path: '/', service: 'api' }] }],
      }),
      service('api'),
      endpointSlice('api', pods.port, pods.endpoints.slice(0, 1)),
    ]));
    // Let a probe already in flight finish, then count.
    await new Promise((r) => setTimeout(r, 150));
    const before2 = probes.get('api-2') ?? 0;
    const before0 = probes.get('api-0') ?? 0;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(probes.get('api-2') ?? 0, before2, 'api-2 left the table: no more probes');
    assert.ok((probes.get('api-0') ?? 0) > before0, 'api-0 is still probed');
  });
});

describe('health - active probe events', () => {
  it('emits typed healthy → unhealthy → healthy events with the reason', async (t) => {
    let status = 500;
    const pods = await Pods.start('probe', ['127.0.10.9'], () => (_req, res) => { res.writeHead(status).end(); });
    const health = new BackendHealth({ failureThreshold: 5, baseEjectionMs: 30_000, maxEjectionMs: 300_000, maxEjectionPercent: 50, probeConcurrency: 2 });
    t.after(async () => {
      health.stop();
      await pods.close();
    });
    const events: HealthChangeEvent[] = [];
    health.onChange((e) => events.push(e));
    const ep = endpoint('127.0.10.9', pods.port, { pod: 'probe-0' });
    const backend: Backend = { id: 'ops/probe:80', namespace: 'ops', service: 'probe', servicePort: '80', endpoints: [ep] };
    const check = { path: '/ready', intervalMs: 50, timeoutMs: 500, healthyThreshold: 1, unhealthyThreshold: 2 };
    const route: Route = { ingress: { namespace: 'ops', name: 'probe' }, host: 'probe.test', path: '/', pathType: 'Prefix', backend, policy: { ...DEFAULT_POLICY, healthCheck: check }, tls: false };
    health.useTable(new RouteTable({ routes: [route], backends: [backend], diagnostics: [], certificates: [], ingresses: ['ops/probe'] }));

    await eventually(async () => events.length === 1, 3000, 'the unhealthy event');
    assert.deepEqual({ ...events[0], at: '' }, {
      endpoint: ep.key, namespace: 'ops', service: 'probe', pod: 'probe-0', oldState: 'healthy', newState: 'unhealthy',
      reason: '2 consecutive failing probes of /ready (last: status 500)', at: '',
    });
    assert.equal(health.isHealthy(ep), false);
    status = 204;
    await eventually(async () => events.length === 2, 3000, 'the healthy event');
    assert.equal(events[1].newState, 'healthy');
    assert.equal(health.isHealthy(ep), true);
    assert.deepEqual(health.counts(), { 'healthy->unhealthy': 1, 'unhealthy->healthy': 1 });
  });
});
