import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type TestCert, makeCert, makeCertWith, tlsSecret } from './support/certs.ts';
import { getJson } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { type Obj, endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { Pods, hit, load, tally } from './support/pods.ts';
import { httpsGet, peerCertificate } from './support/tls-client.ts';

const DAY = 86_400_000;
const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256;

interface RoutesDoc {
  fingerprint: string;
  ingresses: string[];
  certificates: { secret: string; hosts: string[] }[];
  diagnostics: { ingress?: string; reason: string; message: string; field?: string }[];
  apply_failure: unknown;
}

/**
 * Certificates are compiled during translation with the listener's TLS profile. One that OpenSSL refuses
 * (a 1024-bit RSA key: ERR_SSL_EE_KEY_TOO_SMALL), one outside its validity window, or a key that does not
 * belong to its certificate is an InvalidCertificate diagnostic for that TLS entry: its hosts get the
 * default certificate, and everything else — round robin over all pods included — carries on.
 */
describe('tls - a certificate OpenSSL or the clock refuses costs only its own TLS entry (standalone)', () => {
  let shop: Pods;
  let rauta: RunningRauta;
  let good: TestCert;
  const bad = new Map<string, TestCert>();

  const tlsIngress = (name: string) => ingress(name, {
    rules: [{ host: `${name}.test`, paths: [{ path: '/', service: 'shop' }] }],
    tls: [{ hosts: [`${name}.test`], secretName: `${name}-tls` }],
  });
  const base = (): Obj[] => [
    ingressClass(),
    ingress('shop', { rules: [{ host: 'shop.test', paths: [{ path: '/', service: 'shop' }] }] }),
    tlsIngress('good'),
    tlsSecret('good-tls', good),
    service('shop'),
    endpointSlice('shop', shop.port, shop.endpoints),
  ];
  const roundRobin = async () => [...tally(await load(30, 1, () => hit(rauta.httpPort, '/', { host: 'shop.test' }))).values()].sort();

  before(async () => {
    shop = await Pods.start('shop', ['127.0.31.1', '127.0.31.2', '127.0.31.3']);
    good = makeCert(['good.test']);
    const other = makeCert(['mismatch.test']);
    bad.set('weak', await makeCertWith(['weak.test'], { rsaBits: 1024 }));
    bad.set('expired', await makeCertWith(['expired.test'], { notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) }));
    bad.set('future', await makeCertWith(['future.test'], { notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 30 * DAY) }));
    bad.set('mismatch', { cert: makeCert(['mismatch.test']).cert, key: other.key });
    rauta = await startStandalone(toYaml(base()));
  });
  after(async () => {
    await rauta?.stop();
    await shop?.close();
  });

  it('before: round robin spreads 30 requests 10/10/10 over the three pods', async () => {
    assert.deepEqual(await roundRobin(), [10, 10, 10]);
  });

  it('each refused certificate is an InvalidCertificate diagnostic on its own TLS entry, and the table still applies', async () => {
    const extra = [...bad.entries()].flatMap(([name, c]) => [tlsIngress(name), tlsSecret(`${name}-tls`, c)]);
    await rauta.update(toYaml([...base(), ...extra]));
    const { json } = await getJson<RoutesDoc>(rauta.adminPort, '/routes');
    for (const name of bad.keys()) assert.ok(json.ingresses.includes(`default/${name}`), name);
    const invalid = (name: string) => json.diagnostics.find((d) => d.ingress === `default/${name}` && d.reason === 'InvalidCertificate');
    assert.match(invalid('weak')?.message ?? '', /ERR_SSL_EE_KEY_TOO_SMALL/);
    assert.match(invalid('expired')?.message ?? '', /expired at/);
    assert.match(invalid('future')?.message ?? '', /not valid before/);
    assert.match(invalid('mismatch')?.message ?? '', /does not match/);
    for (const name of bad.keys()) assert.equal(invalid(name)?.field, 'spec.tls[0].secretName', name);
    assert.deepEqual(json.certificates.map((c) => c.secret), ['default/good-tls']);
    assert.equal(json.apply_failure, null);
  });

  it('after: round robin still spreads 10/10/10 (the swap was whole: balancer and routes on the same table)', async () => {
    assert.deepEqual(await roundRobin(), [10, 10, 10]);
  });

  it('the good host keeps its certificate; a refused one is served with the default certificate and still routed', async () => {
    assert.equal((await peerCertificate(rauta.httpsPort, 'good.test')).fingerprint256, fingerprintOf(good.cert));
    const weak = await httpsGet(rauta.httpsPort, '/', { servername: 'weak.test' });
    assert.equal(weak.status, 200);
    assert.notEqual(weak.peer.fingerprint256, fingerprintOf(bad.get('weak')!.cert));
    assert.equal(weak.peer.fingerprint256, (await peerCertificate(rauta.httpsPort, 'unknown.test')).fingerprint256, 'the default certificate');
  });
});

describe('tls - two Ingresses sharing one TLS Secret both get its certificate', () => {
  let shop: Pods;
  let rauta: RunningRauta;
  let shared: TestCert;

  before(async () => {
    shop = await Pods.start('shop', ['127.0.32.1']);
    shared = makeCert(['*.shared.test', 'shared.test']);
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('first', { creationTimestamp: '2024-01-01T00:00:00Z', rules: [{ host: 'a.shared.test', paths: [{ path: '/', service: 'shop' }] }], tls: [{ hosts: ['a.shared.test'], secretName: 'wildcard' }] }),
      ingress('second', { creationTimestamp: '2024-01-02T00:00:00Z', rules: [{ host: 'b.shared.test', paths: [{ path: '/', service: 'shop' }] }], tls: [{ hosts: ['b.shared.test'], secretName: 'wildcard' }] }),
      tlsSecret('wildcard', shared),
      service('shop'),
      endpointSlice('shop', shop.port, shop.endpoints),
    ]));
  });
  after(async () => {
    await rauta?.stop();
    await shop?.close();
  });

  it('serves the shared certificate for the hosts of both Ingresses, and /routes lists both entries', async () => {
    for (const host of ['a.shared.test', 'b.shared.test']) {
      const res = await httpsGet(rauta.httpsPort, '/', { servername: host });
      assert.equal(res.status, 200, host);
      assert.equal(res.peer.fingerprint256, fingerprintOf(shared.cert), host);
    }
    const { json } = await getJson<RoutesDoc>(rauta.adminPort, '/routes');
    assert.deepEqual(json.certificates, [
      { secret: 'default/wildcard', hosts: ['a.shared.test'] },
      { secret: 'default/wildcard', hosts: ['b.shared.test'] },
    ]);
    assert.deepEqual(json.diagnostics, []);
  });
});
