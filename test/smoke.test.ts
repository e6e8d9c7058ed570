import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { get, getJson } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';

describe('standalone - routes a request to a pod', () => {
  let echo: EchoServer;
  let rauta: RunningRauta;
  before(async () => {
    echo = await startEcho({ namespace: 'default', ingress: 'web', service: 'web', pod: 'web-0' }, '127.0.0.2');
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('web', { rules: [{ host: 'web.test', paths: [{ path: '/', service: 'web' }] }] }),
      service('web'),
      endpointSlice('web', echo.port, [{ ip: '127.0.0.2', pod: 'web-0' }]),
    ]));
  });
  after(async () => {
    await rauta.stop();
    await echo.close();
  });

  it('proxies by host and returns the backend answer', async () => {
    const res = await getJson<{ pod: string; host: string; headers: Record<string, string> }>(rauta.httpPort, '/hello', { host: 'web.test' });
    assert.equal(res.status, 200);
    assert.equal(res.json.pod, 'web-0');
    assert.equal(res.json.host, 'web.test');
    assert.equal(res.json.headers['x-forwarded-host'], 'web.test');
    assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  it('answers 404 itself for an unknown host', async () => {
    const res = await get(rauta.httpPort, '/', { host: 'other.test' });
    assert.equal(res.status, 404);
    assert.match(res.body, /RAUTA_ERR_NO_ROUTE/);
  });
});
