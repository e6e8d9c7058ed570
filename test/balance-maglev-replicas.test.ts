import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { Pods, hit } from './support/pods.ts';

describe('maglev - two replicas agree', () => {
  let pods: Pods;
  let a: RunningRauta;
  let b: RunningRauta;

  before(async () => {
    pods = await Pods.start('cart', Array.from({ length: 8 }, (_, i) => `127.0.14.${i + 1}`));
    const objects = [
      ingressClass(),
      ingress('cart', { annotations: { 'rauta.io/hash-by': 'cookie:session' }, rules: [{ host: 'cart.test', paths: [{ path: '/', service: 'cart' }] }] }),
      service('cart'),
    ];
    // The replicas list the endpoints in opposite orders: the table must not care.
    a = await startStandalone(toYaml([...objects, endpointSlice('cart', pods.port, pods.endpoints)]));
    b = await startStandalone(toYaml([...objects, endpointSlice('cart', pods.port, [...pods.endpoints].reverse())]));
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await pods?.close();
  });

  it('send each key to the same pod, from any client', async () => {
    const used = new Set<string>();
    for (let k = 0; k < 16; k++) {
      const headers = { host: 'cart.test', cookie: `session=s-${k}` };
      const fromA = await hit(a.httpPort, '/', headers, '127.0.15.1');
      const fromB = await hit(b.httpPort, '/', headers, '127.0.15.2');
      assert.equal(fromA.status, 200);
      assert.equal(fromB.pod, fromA.pod, `session s-${k}`);
      used.add(fromA.pod!);
    }
    assert.ok(used.size >= 4, `16 sessions used ${used.size} pods`);
  });
});
