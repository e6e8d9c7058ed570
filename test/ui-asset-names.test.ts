import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { get } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { ingressClass, toYaml } from './support/manifests.ts';

describe('ui - asset names', () => {
  let rauta: RunningRauta;
  before(async () => {
    rauta = await startStandalone(toYaml([ingressClass()]));
  });
  after(async () => {
    await rauta.stop();
  });

  it('names inherited from Object.prototype are unknown assets (404), not missing ones (500)', async () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const res = await get(rauta.adminPort, `/ui/${name}`);
      assert.equal(res.status, 404, name);
    }
    assert.equal((await get(rauta.adminPort, '/ui/app.js')).status, 200);
  });
});
