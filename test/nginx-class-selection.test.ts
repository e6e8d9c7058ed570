import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestBackend, startBackend } from './support/backends.ts';
import { get } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';

/**
 * RAUTA_WATCH_INGRESS_NGINX and RAUTA_ANNOTATIONS_PREFIX in a running RAUTA: Ingresses of
 * ingress-nginx's class are served with its defaults (1m bodies), the prefix is configurable, and a
 * rauta.io/ annotation wins over the nginx one of the same name.
 */
describe('nginx class - served with ingress-nginx defaults when RAUTA_WATCH_INGRESS_NGINX is set', () => {
  let backend: TestBackend;
  let rauta: RunningRauta;
  let off: RunningRauta;
  before(async () => {
    backend = await startBackend('127.0.0.3', (_req, res, body) => { res.writeHead(200); res.end(String(body.length)); });
    const yaml = toYaml([
      ingressClass(),
      ingressClass('nginx', 'k8s.io/ingress-nginx'),
      ingress('legacy', { className: 'nginx', rules: [{ host: 'legacy.test', paths: [{ path: '/', service: 'web' }] }] }),
      ingress('prefixed', { className: 'nginx', rules: [{ host: 'prefixed.test', paths: [{ path: '/', service: 'web' }] }], annotations: { 'example.com/proxy-body-size': '2k', 'nginx.ingress.kubernetes.io/proxy-body-size': '10m' } }),
      ingress('ours', { rules: [{ host: 'ours.test', paths: [{ path: '/', service: 'web' }] }], annotations: { 'example.com/proxy-body-size': '4k', 'rauta.io/proxy-body-size': '3k' } }),
      service('web'),
      endpointSlice('web', backend.port, [{ ip: backend.ip }]),
    ]);
    rauta = await startStandalone(yaml, { RAUTA_WATCH_INGRESS_NGINX: 'true', RAUTA_ANNOTATIONS_PREFIX: 'example.com' });
    off = await startStandalone(yaml);
  });
  after(async () => {
    await rauta.stop();
    await off.stop();
    await backend.close();
  });
  const post = (r: RunningRauta, host: string, bytes: number) => get(r.httpPort, '/', { host }, 'POST', Buffer.alloc(bytes));

  it('an Ingress of the nginx class is served, with a 1m body limit by default', async () => {
    assert.equal((await post(rauta, 'legacy.test', 1024 * 1024)).status, 200);
    assert.equal((await post(rauta, 'legacy.test', 1024 * 1024 + 1)).status, 413);
  });

  it('the configured prefix is read; the default prefix is then just another annotation', async () => {
    assert.equal((await post(rauta, 'prefixed.test', 2048)).status, 200);
    assert.equal((await post(rauta, 'prefixed.test', 2049)).status, 413);
  });

  it('rauta.io/ wins over the nginx annotation of the same name; RAUTA class Ingresses have no default limit', async () => {
    assert.equal((await post(rauta, 'ours.test', 3072)).status, 200);
    assert.equal((await post(rauta, 'ours.test', 3073)).status, 413);
  });

  it('without the setting, nginx-class Ingresses are not served', async () => {
    assert.equal((await get(off.httpPort, '/', { host: 'legacy.test' })).status, 404);
    assert.equal((await get(off.httpPort, '/', { host: 'ours.test' })).status, 200);
  });
});
