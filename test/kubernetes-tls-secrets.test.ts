import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { makeCert, tlsSecret } from './support/certs.ts';
import { FakeApiServer } from './support/fake-apiserver/server.ts';
import { type RunningKubeRauta, startKubeRauta, waitFor } from './support/kube-harness.ts';
import { endpointSlice, ingress, ingressClass, service } from './support/manifests.ts';
import { httpsGet, peerCertificate } from './support/tls-client.ts';

const first = makeCert(['secure.test']);
const rotated = makeCert(['secure.test']);
const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256;

describe('kubernetes - TLS certificates come from kubernetes.io/tls Secrets in the API server', () => {
  let api: FakeApiServer;
  let echo: EchoServer;
  let rauta: RunningKubeRauta;
  before(async () => {
    api = await FakeApiServer.start();
    echo = await startEcho({ namespace: 'default', ingress: 'secure', service: 'web', pod: 'web-0' }, '127.0.0.11');
    for (const o of [
      ingressClass(),
      ingress('secure', { rules: [{ host: 'secure.test', paths: [{ path: '/', service: 'web' }] }], tls: [{ hosts: ['secure.test'], secretName: 'secure-tls' }] }),
      service('web'),
      endpointSlice('web', echo.port, [{ ip: '127.0.0.11', pod: 'web-0' }]),
      tlsSecret('secure-tls', first),
    ]) api.put(o);
    rauta = await startKubeRauta(api);
  });
  after(async () => {
    await rauta.stop();
    await api.close();
    await echo.close();
  });

  it('serves the Secret\'s certificate by SNI and routes over HTTPS', async () => {
    const peer = await peerCertificate(rauta.httpsPort, 'secure.test');
    assert.equal(peer.fingerprint256, fingerprintOf(first.cert));
    const res = await httpsGet(rauta.httpsPort, '/', { servername: 'secure.test' });
    assert.equal(res.status, 200);
  });

  it('picks up a rotated Secret without a restart', async () => {
    api.put(tlsSecret('secure-tls', rotated));
    const fp = await waitFor(async () => {
      const peer = await peerCertificate(rauta.httpsPort, 'secure.test');
      return peer.fingerprint256 === fingerprintOf(rotated.cert) ? peer.fingerprint256 : undefined;
    }, 10_000, 'the rotated certificate');
    assert.equal(fp, fingerprintOf(rotated.cert));
  });
});
