import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getJson } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { Pods, eventually, hit, load, tally } from './support/pods.ts';

interface EndpointView {
  key: string; ip: string; port: number; pod: string | null; node: string | null; zone: string | null;
  ready: boolean; terminating: boolean; health: string; ejected_until: string | null;
  consecutive_failures: number; in_flight: number;
}
interface BackendView {
  id: string; namespace: string; service: string; service_port: string;
  policy: { load_balance: string; hash_by: string | null; retries: number; health_check: unknown };
  routes: string[]; endpoints: EndpointView[];
}

async function backend(rauta: RunningRauta, id: string): Promise<BackendView> {
  const res = await getJson<{ backends: BackendView[] }>(rauta.adminPort, '/backends');
  assert.equal(res.status, 200);
  const b = res.json.backends.find((x) => x.id === id);
  assert.ok(b, `backend ${id} in /backends`);
  return b;
}

const healthOf = (b: BackendView) => Object.fromEntries(b.endpoints.map((e) => [e.pod, e.health]));

describe('health - passive ejection with real pods', () => {
  let three: Pods;
  let four: Pods;
  let rauta: RunningRauta;

  before(async () => {
    three = await Pods.start('three', ['127.0.8.1', '127.0.8.2', '127.0.8.3']);
    four = await Pods.start('four', ['127.0.9.1', '127.0.9.2', '127.0.9.3', '127.0.9.4']);
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('three', { rules: [{ host: 'three.test', paths: [{ path: '/', service: 'three' }] }] }),
      ingress('four', { rules: [{ host: 'four.test', paths: [{ path: '/', service: 'four' }] }] }),
      service('three'),
      service('four'),
      endpointSlice('three', three.port, [
        { ip: '127.0.8.1', pod: 'three-0', node: 'node-a', zone: 'zone-1' },
        { ip: '127.0.8.2', pod: 'three-1', node: 'node-b', zone: 'zone-2' },
        { ip: '127.0.8.3', pod: 'three-2' },
      ]),
      endpointSlice('four', four.port, four.endpoints),
    ]), { RAUTA_EJECTION_BASE_SECONDS: '1.5', RAUTA_PASSIVE_FAILURE_THRESHOLD: '3' });
  });
  after(async () => {
    await rauta?.stop();
    await three?.close();
    await four?.close();
  });

  it('GET /backends has the documented shape', async () => {
    const b = await backend(rauta, 'default/three:80');
    assert.deepEqual(Object.keys(b).sort(), ['endpoints', 'id', 'namespace', 'policy', 'routes', 'service', 'service_port']);
    assert.equal(b.namespace, 'default');
    assert.equal(b.service, 'three');
    assert.equal(b.service_port, '80');
    assert.deepEqual(b.routes, ['default/three three.test /']);
    assert.deepEqual(b.policy, { load_balance: 'round-robin', hash_by: null, retries: 2, health_check: null });
    assert.deepEqual(b.endpoints[0], {
      key: `127.0.8.1:${three.port}`, ip: '127.0.8.1', port: three.port, pod: 'three-0', node: 'node-a', zone: 'zone-1',
      ready: true, terminating: false, health: 'healthy', ejected_until: null, consecutive_failures: 0, in_flight: 0,
    });
    assert.equal(b.endpoints[2].zone, null);
  });

  it('a pod that starts refusing connections is ejected (clients see no error), then returns', async () => {
    await three.stopPod('three-1');
    const replies = await load(30, 3, () => hit(rauta.httpPort, '/', { host: 'three.test' }));
    assert.deepEqual(replies.filter((r) => r.status !== 200), [], 'retries hide the dead pod');
    assert.equal(tally(replies).get('three-1'), undefined);

    const ejected = await backend(rauta, 'default/three:80');
    assert.deepEqual(healthOf(ejected), { 'three-0': 'healthy', 'three-1': 'ejected', 'three-2': 'healthy' });
    const until = ejected.endpoints[1].ejected_until;
    assert.ok(until !== null && Date.parse(until) > Date.now(), `ejected_until ${until}`);

    await three.startPod('three-1');
    await eventually(async () => healthOf(await backend(rauta, 'default/three:80'))['three-1'] === 'healthy', 6000, 'three-1 to return');
    const back = tally(await load(30, 1, () => hit(rauta.httpPort, '/', { host: 'three.test' })));
    assert.equal(back.get('three-1'), 10, 'the returned pod takes its share again');
  });

  it('never ejects more than 50 % of a service: 3 of 4 pods dead → 2 ejected', async () => {
    for (const p of ['four-0', 'four-1', 'four-2']) await four.stopPod(p);
    const replies = await load(40, 2, () => hit(rauta.httpPort, '/', { host: 'four.test' }));
    // Retries (2 by default) find four-3 most of the time; what matters here is the cap.
    assert.ok(replies.filter((r) => r.status === 200).length >= 30);
    const h = healthOf(await backend(rauta, 'default/four:80'));
    assert.equal(Object.values(h).filter((s) => s === 'ejected').length, 2, JSON.stringify(h));
    assert.equal(h['four-3'], 'healthy');
  });
});
