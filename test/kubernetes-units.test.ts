import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Debouncer } from '../src/sources/kubernetes/debounce.ts';
import { loadKubeConfig } from '../src/sources/kubernetes/kubeconfig.ts';
import { toIngress } from '../src/sources/kubernetes/normalize.ts';
import { emptyObjectSet, type Ingress } from '../src/sources/object-set.ts';
import { statusChanges } from '../src/status/ingress-status.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kubernetes - debounce', () => {
  it('fires once for a burst, after the hold-off', async () => {
    let fired = 0;
    const d = new Debouncer(30, 1000, () => fired++);
    for (let i = 0; i < 5; i++) {
      d.poke();
      await sleep(5);
    }
    assert.equal(fired, 0);
    await sleep(80);
    assert.equal(fired, 1);
  });

  it('fires by the maximum hold-off while changes keep coming', async () => {
    let fired = 0;
    const d = new Debouncer(50, 120, () => fired++);
    const until = Date.now() + 400;
    while (Date.now() < until) {
      d.poke();
      await sleep(10);
    }
    d.cancel();
    assert.ok(fired >= 2, `fired ${fired} times during a 400 ms stream of changes`);
  });
});

describe('kubernetes - normalizing informer objects', () => {
  it('gives list objects (Date timestamps) and watch objects (strings) the same shape', () => {
    const spec = { ingressClassName: 'rauta', rules: [{ host: 'a.test' }] };
    const fromList = toIngress({ metadata: { name: 'a', namespace: 'n', creationTimestamp: new Date('2024-01-01T00:00:00Z') }, spec } as never);
    const fromWatch = toIngress({ metadata: { name: 'a', namespace: 'n', creationTimestamp: '2024-01-01T00:00:00Z' }, spec } as never);
    assert.deepEqual(fromList, fromWatch);
    assert.equal(fromList.metadata.creationTimestamp, '2024-01-01T00:00:00.000Z');
  });
});

describe('kubernetes - which Ingress statuses to write', () => {
  const ing = (name: string, ips?: string[]): Ingress => ({
    metadata: { name, namespace: 'default' },
    ...(ips ? { status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } } } : {}),
  });
  const ours = [{ ip: '10.0.0.1' }];

  it('sets ours, leaves correct ones, clears only what we wrote on Ingresses no longer ours', () => {
    const objects = {
      ...emptyObjectSet,
      ingresses: [ing('new'), ing('done', ['10.0.0.1']), ing('stale', ['10.9.9.9']), ing('was-ours', ['10.0.0.1']), ing('foreign', ['192.0.2.1']), ing('foreign-empty')],
    };
    const served = new Set(['default/new', 'default/done', 'default/stale']);
    const changes = statusChanges(objects, served, ours);
    assert.deepEqual(changes.map((c) => `${c.name}:${c.addresses.map((a) => a.ip).join(',')}`), ['new:10.0.0.1', 'stale:10.0.0.1', 'was-ours:']);
  });
});

describe('kubernetes - choosing the cluster configuration', () => {
  it('refuses to start outside a pod without a kubeconfig, saying what to pass', () => {
    assert.throws(() => loadKubeConfig(undefined, {}), (err: Error & { code?: string }) => err.code === 'RAUTA_ERR_NO_CLUSTER' && /--kubeconfig/.test(err.message));
  });

  it('uses the in-cluster service account inside a pod', () => {
    // client-node reads the service address from process.env itself; this file runs in its own process.
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    process.env.KUBERNETES_SERVICE_HOST = '10.96.0.1';
    process.env.KUBERNETES_SERVICE_PORT = '443';
    try {
      const kc = loadKubeConfig(undefined);
      assert.equal(kc.getCurrentCluster()?.server, 'https://10.96.0.1:443');
    } finally {
      if (saved.host === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
      else process.env.KUBERNETES_SERVICE_HOST = saved.host;
      if (saved.port === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
      else process.env.KUBERNETES_SERVICE_PORT = saved.port;
    }
  });
});
