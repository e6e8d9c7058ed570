import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import type { ConformanceDriver } from './support/conformance-driver.ts';
import { get, getJson } from './support/client.ts';
import { kubeDriver } from './support/kube-driver.ts';
import { endpointSlice, ingress, ingressClass, service } from './support/manifests.ts';

describe('kubernetes - the conformance driver makes the applied objects the served state', () => {
  let driver: ConformanceDriver;
  let echoA: EchoServer;
  let echoB: EchoServer;
  before(async () => {
    echoA = await startEcho({ namespace: 'default', ingress: 'a', service: 'a', pod: 'a-0' }, '127.0.0.6');
    echoB = await startEcho({ namespace: 'default', ingress: 'b', service: 'b', pod: 'b-0' }, '127.0.0.7');
    driver = await kubeDriver();
  });
  after(async () => {
    await driver.stop();
    await echoA.close();
    await echoB.close();
  });

  it('serves what apply set, right after apply resolves', async () => {
    await driver.apply([
      ingressClass(),
      ingress('a', { rules: [{ host: 'a.test', paths: [{ path: '/', service: 'a' }] }] }),
      service('a'),
      endpointSlice('a', echoA.port, [{ ip: '127.0.0.6', pod: 'a-0' }]),
    ]);
    const res = await getJson<{ pod: string }>(driver.httpPort, '/', { host: 'a.test' });
    assert.equal(res.status, 200);
    assert.equal(res.json.pod, 'a-0');
  });

  it('replaces the previous state: objects left out disappear', async () => {
    await driver.apply([
      ingressClass(),
      ingress('b', { rules: [{ host: 'b.test', paths: [{ path: '/', service: 'b' }] }] }),
      service('b'),
      endpointSlice('b', echoB.port, [{ ip: '127.0.0.7', pod: 'b-0' }]),
    ]);
    assert.equal((await get(driver.httpPort, '/', { host: 'a.test' })).status, 404);
    assert.equal((await getJson<{ pod: string }>(driver.httpPort, '/', { host: 'b.test' })).json.pod, 'b-0');
  });

  it('keeps creationTimestamp order for conflicts (the older Ingress wins)', async () => {
    await driver.apply([
      ingressClass(),
      ingress('newer', { creationTimestamp: '2024-02-01T00:00:00Z', rules: [{ host: 'c.test', paths: [{ path: '/', service: 'a' }] }] }),
      ingress('older', { creationTimestamp: '2024-01-01T00:00:00Z', rules: [{ host: 'c.test', paths: [{ path: '/', service: 'b' }] }] }),
      service('a'),
      service('b'),
      endpointSlice('a', echoA.port, [{ ip: '127.0.0.6', pod: 'a-0' }]),
      endpointSlice('b', echoB.port, [{ ip: '127.0.0.7', pod: 'b-0' }]),
    ]);
    assert.equal((await getJson<{ pod: string }>(driver.httpPort, '/', { host: 'c.test' })).json.pod, 'b-0');
  });
});
