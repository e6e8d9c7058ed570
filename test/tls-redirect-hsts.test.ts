import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { makeCert, tlsSecret } from './support/certs.ts';
import { get } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { httpsGet } from './support/tls-client.ts';

describe('tls - HTTP→HTTPS redirect and HSTS', () => {
  let echo: EchoServer;
  let rauta: RunningRauta;
  before(async () => {
    echo = await startEcho({ namespace: 'default', ingress: 'x', service: 'web', pod: 'web-0' }, '127.0.0.2');
    const cert = makeCert(['secure.test', 'plain-ok.test', 'hsts.test']);
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('secure', { rules: [{ host: 'secure.test', paths: [{ service: 'web' }] }], tls: [{ hosts: ['secure.test'], secretName: 'c' }] }),
      ingress('optout', {
        annotations: { 'rauta.io/ssl-redirect': 'false' },
        rules: [{ host: 'plain-ok.test', paths: [{ service: 'web' }] }], tls: [{ hosts: ['plain-ok.test'], secretName: 'c' }],
      }),
      ingress('hsts', {
        annotations: { 'rauta.io/hsts': 'max-age=600; includeSubDomains' },
        rules: [{ host: 'hsts.test', paths: [{ service: 'web' }] }], tls: [{ hosts: ['hsts.test'], secretName: 'c' }],
      }),
      ingress('no-tls', { rules: [{ host: 'plain.test', paths: [{ service: 'web' }] }] }),
      service('web'),
      endpointSlice('web', echo.port, [{ ip: '127.0.0.2', pod: 'web-0' }]),
      tlsSecret('c', cert),
    ]));
  });
  after(async () => {
    await rauta.stop();
    await echo.close();
  });

  it('redirects plain HTTP for a TLS host with 308, keeping path and query', async () => {
    const res = await get(rauta.httpPort, '/a/b?x=1&y=2', { host: 'secure.test:8080' }, 'POST', 'body');
    assert.equal(res.status, 308);
    assert.equal(res.headers.location, 'https://secure.test/a/b?x=1&y=2');
    assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  it('does not redirect ACME HTTP-01 challenges', async () => {
    const res = await get(rauta.httpPort, '/.well-known/acme-challenge/token', { host: 'secure.test' });
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).path, '/.well-known/acme-challenge/token');
  });

  it('serves plain HTTP when rauta.io/ssl-redirect is "false", and for hosts without TLS', async () => {
    for (const host of ['plain-ok.test', 'plain.test']) {
      const res = await get(rauta.httpPort, '/', { host });
      assert.equal(res.status, 200, host);
      assert.equal(JSON.parse(res.body).headers['x-forwarded-proto'], 'http');
    }
  });

  it('serves the TLS host over HTTPS without redirect', async () => {
    const res = await httpsGet(rauta.httpsPort, '/', { servername: 'secure.test' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['strict-transport-security'], undefined);
  });

  it('adds Strict-Transport-Security on HTTPS responses when rauta.io/hsts is set, never on plain HTTP', async () => {
    const tls = await httpsGet(rauta.httpsPort, '/', { servername: 'hsts.test' });
    assert.equal(tls.status, 200);
    assert.equal(tls.headers['strict-transport-security'], 'max-age=600; includeSubDomains');
    const other = await httpsGet(rauta.httpsPort, '/', { servername: 'secure.test' });
    assert.equal(other.headers['strict-transport-security'], undefined);
    const plain = await get(rauta.httpPort, '/.well-known/acme-challenge/t', { host: 'hsts.test' });
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['strict-transport-security'], undefined);
  });
});
