import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { HANDSHAKE_FAILURE_REASONS } from '../src/proxy/tls/handshake-failures.ts';
import { h2request, h2session } from './support/h2-client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { scrape, scrapeUntil } from './support/prometheus-text.ts';

describe('telemetry - connections and TLS handshakes on every listener', () => {
  let web: EchoServer;
  let rauta: RunningRauta;
  before(async () => {
    web = await startEcho({ namespace: 'default', ingress: 'web', service: 'web', pod: 'web-0' }, '127.0.0.21');
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('web', { rules: [{ host: 'web.test', paths: [{ path: '/', service: 'web' }] }] }),
      service('web'),
      endpointSlice('web', web.port, [{ ip: '127.0.0.21', pod: 'web-0' }]),
    ]), { RAUTA_H2C: 'true' });
  });
  after(async () => {
    await rauta.stop();
    await web.close();
  });

  it('rauta_active_connections counts HTTPS connections', async () => {
    assert.equal(await scrapeUntil(rauta.adminPort, 'rauta_active_connections', {}, 0), 0);
    const sock = tlsConnect({ host: '127.0.0.1', port: rauta.httpsPort, servername: 'web.test', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    await new Promise<void>((resolve, reject) => {
      sock.once('secureConnect', resolve);
      sock.once('error', reject);
    });
    assert.equal(await scrapeUntil(rauta.adminPort, 'rauta_active_connections', {}, 1), 1);
    sock.destroy();
    assert.equal(await scrapeUntil(rauta.adminPort, 'rauta_active_connections', {}, 0), 0);
  });

  it('rauta_active_connections counts HTTP/2 over TLS and h2c (prior knowledge) connections', async () => {
    const tls = await h2session(`https://127.0.0.1:${rauta.httpsPort}`, 'web.test');
    const h2c = await h2session(`http://127.0.0.1:${rauta.httpPort}`);
    try {
      assert.equal((await h2request(tls, { ':path': '/', ':authority': 'web.test' })).status, 200);
      assert.equal((await h2request(h2c, { ':path': '/', ':authority': 'web.test' })).status, 200);
      assert.equal(await scrapeUntil(rauta.adminPort, 'rauta_active_connections', {}, 2), 2);
    } finally {
      tls.destroy();
      h2c.destroy();
    }
    assert.equal(await scrapeUntil(rauta.adminPort, 'rauta_active_connections', {}, 0), 0);
  });

  it('rauta_tls_handshake_failures_total{reason} has every reason from the start and counts a failed handshake', async () => {
    for (const reason of HANDSHAKE_FAILURE_REASONS) {
      assert.equal(await scrape(rauta.adminPort, 'rauta_tls_handshake_failures_total', { reason }), 0, reason);
    }
    // Plain HTTP sent to the TLS port: OpenSSL reports ERR_SSL_HTTP_REQUEST.
    const sock = tcpConnect({ host: '127.0.0.1', port: rauta.httpsPort });
    sock.on('error', () => {});
    await new Promise((r) => sock.once('connect', r));
    sock.write('GET / HTTP/1.1\r\nHost: web.test\r\n\r\n');
    await new Promise((r) => sock.once('close', r));
    assert.equal(await scrapeUntil(rauta.adminPort, 'rauta_tls_handshake_failures_total', { reason: 'plain_http' }, 1), 1);
    assert.equal(await scrape(rauta.adminPort, 'rauta_tls_handshake_failures_total', { reason: 'other' }), 0);
    assert.equal(rauta.protocols.handshakeFailures.total, 1);
  });
});
