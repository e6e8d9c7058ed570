import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { get } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';

/**
 * Regression: the body-byte counter used to switch the request to flowing mode before the upstream
 * connection was up, so a body sent with the headers was dropped on a cold connection (and the
 * request hung waiting for it).
 */
describe('proxy - request body on a new upstream connection', () => {
  let echo: EchoServer;
  let rauta: RunningRauta;
  before(async () => {
    echo = await startEcho({ namespace: 'default', ingress: 'web', service: 'web', pod: 'web-0' }, '127.0.0.11');
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('web', { rules: [{ host: 'web.test', paths: [{ service: 'web' }] }] }),
      service('web'),
      endpointSlice('web', echo.port, [{ ip: '127.0.0.11', pod: 'web-0' }]),
    ]));
  });
  after(async () => {
    await rauta.stop();
    await echo.close();
  });

  it('arrives whole at the backend', async () => {
    const res = await get(rauta.httpPort, '/', { host: 'web.test', 'content-type': 'text/plain' }, 'POST', 'hello body');
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).body_bytes, 10);
  });
});
