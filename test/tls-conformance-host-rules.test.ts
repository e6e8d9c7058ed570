import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { makeCert, tlsSecret } from './support/certs.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { httpsGet, sanNames } from './support/tls-client.ts';

/**
 * The ingress-controller-conformance `host_rules` scenario (exact host, wildcard host matching one
 * label only) run over HTTPS: each host is reached with SNI = its name, the certificate RAUTA serves
 * must name that host in its SAN, and the echo backend must report the expected Ingress and Service.
 */
describe('tls - conformance host_rules over HTTPS', () => {
  let exactPod: EchoServer;
  let wildPod: EchoServer;
  let rauta: RunningRauta;
  before(async () => {
    exactPod = await startEcho({ namespace: 'default', ingress: 'host-rules', service: 'exact', pod: 'exact-0' }, '127.0.0.8');
    wildPod = await startEcho({ namespace: 'default', ingress: 'host-rules', service: 'wildcard', pod: 'wildcard-0' }, '127.0.0.9');
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('host-rules', {
        rules: [
          { host: 'foo.bar.com', paths: [{ service: 'exact' }] },
          { host: '*.foo.com', paths: [{ service: 'wildcard' }] },
        ],
        tls: [
          { hosts: ['foo.bar.com'], secretName: 'conformance-tls' },
          { hosts: ['*.foo.com'], secretName: 'conformance-wildcard-tls' },
        ],
      }),
      service('exact'),
      service('wildcard'),
      endpointSlice('exact', exactPod.port, [{ ip: '127.0.0.8', pod: 'exact-0' }]),
      endpointSlice('wildcard', wildPod.port, [{ ip: '127.0.0.9', pod: 'wildcard-0' }]),
      tlsSecret('conformance-tls', makeCert(['foo.bar.com'])),
      tlsSecret('conformance-wildcard-tls', makeCert(['*.foo.com'])),
    ]));
  });
  after(async () => {
    await rauta.stop();
    await exactPod.close();
    await wildPod.close();
  });

  const cases: { host: string; san: string; status: number; service?: string }[] = [
    { host: 'foo.bar.com', san: 'foo.bar.com', status: 200, service: 'exact' },
    { host: 'bar.foo.com', san: '*.foo.com', status: 200, service: 'wildcard' },
    { host: 'baz.foo.com', san: '*.foo.com', status: 200, service: 'wildcard' },
    // A wildcard covers exactly one label: neither deeper names nor the bare domain match.
    { host: 'baz.bar.foo.com', san: 'rauta.invalid', status: 404 },
    { host: 'foo.com', san: 'rauta.invalid', status: 404 },
  ];
  for (const c of cases) {
    it(`${c.host} → ${c.service ?? '404'} with a certificate for ${c.san}`, async () => {
      const res = await httpsGet(rauta.httpsPort, '/', { servername: c.host });
      assert.deepEqual(sanNames(res.peer), [c.san]);
      assert.equal(res.status, c.status);
      if (c.service === undefined) return;
      const body = JSON.parse(res.body) as { service: string; ingress: string; namespace: string; host: string; headers: Record<string, string> };
      assert.equal(body.service, c.service);
      assert.equal(body.ingress, 'host-rules');
      assert.equal(body.namespace, 'default');
      assert.equal(body.host, c.host);
      assert.equal(body.headers['x-forwarded-proto'], 'https');
    });
  }
});
