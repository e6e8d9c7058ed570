import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { echoHandler } from '../src/demo/echo-server.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { Pods, hit, load, tally } from './support/pods.ts';

describe('balance - an endpoint that stops being ready', () => {
  let pods: Pods;
  let rauta: RunningRauta;
  /** /hold requests wait until the test releases them. */
  let release: () => void = () => {};
  const held = new Promise<void>((r) => { release = r; });
  let holding = 0;
  const objects = () => [
    ingressClass(),
    ingress('jobs', { rules: [{ host: 'jobs.test', paths: [{ path: '/', service: 'jobs' }] }] }),
    service('jobs'),
  ];

  before(async () => {
    pods = await Pods.start('jobs', ['127.0.16.1', '127.0.16.2'], (spec) => {
      const echo = echoHandler({ namespace: 'default', ingress: 'jobs', service: 'jobs', pod: spec.pod });
      return (req, res) => {
        if (req.url !== '/hold') return echo(req, res);
        holding++;
        void held.then(() => echo(req, res));
      };
    });
    rauta = await startStandalone(toYaml([...objects(), endpointSlice('jobs', pods.port, pods.endpoints)]));
  });
  after(async () => {
    release();
    await rauta?.stop();
    await pods?.close();
  });

  it('finishes the requests it has and gets no new ones', async () => {
    // Round robin: the first request goes to jobs-0 (endpoints are sorted by address).
    let settled = false;
    const inFlight = hit(rauta.httpPort, '/hold', { host: 'jobs.test' }).finally(() => { settled = true; });
    while (holding === 0) await new Promise((r) => setTimeout(r, 10));
    await rauta.update(toYaml([...objects(), endpointSlice('jobs', pods.port, [
      { ip: '127.0.16.1', pod: 'jobs-0', ready: false },
      { ip: '127.0.16.2', pod: 'jobs-1' },
    ])]));
    const fresh = tally(await load(20, 2, () => hit(rauta.httpPort, '/', { host: 'jobs.test' })));
    assert.deepEqual([...fresh.entries()], [['jobs-1', 20]]);
    assert.equal(settled, false, 'the held request is still in flight after the swap');
    release();
    const finished = await inFlight;
    assert.deepEqual(finished, { status: 200, pod: 'jobs-0' });
  });
});
