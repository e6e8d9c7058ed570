import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { connect as h2connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { type TestCert, makeCert, tlsSecret } from './support/certs.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { type Obj, endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { httpsGet, peerCertificate, sanNames } from './support/tls-client.ts';

const certA = makeCert(['a.test']);
const certA2 = makeCert(['a.test']);
const certB = makeCert(['b.test']);
const certWild = makeCert(['*.wild.test']);
const certDefault = makeCert(['fallback.test']);

function manifests(echoPort: number, aCert: TestCert): Obj[] {
  const tlsIngress = (name: string, host: string, secretName: string) =>
    ingress(name, { rules: [{ host, paths: [{ service: 'web' }] }], tls: [{ hosts: [host], secretName }] });
  return [
    ingressClass(),
    tlsIngress('a', 'a.test', 'a-tls'),
    tlsIngress('b', 'b.test', 'b-tls'),
    tlsIngress('wild', '*.wild.test', 'wild-tls'),
    tlsIngress('broken', 'broken.test', 'broken-tls'),
    service('web'),
    endpointSlice('web', echoPort, [{ ip: '127.0.0.2', pod: 'web-0' }]),
    tlsSecret('a-tls', aCert),
    tlsSecret('b-tls', certB),
    tlsSecret('wild-tls', certWild),
    // A certificate with somebody else's key.
    tlsSecret('broken-tls', { cert: certA.cert, key: certB.key }),
    tlsSecret('fallback-tls', certDefault),
  ];
}

describe('tls - SNI picks the certificate of the route table', () => {
  let echo: EchoServer;
  let rauta: RunningRauta;
  before(async () => {
    echo = await startEcho({ namespace: 'default', ingress: 'a', service: 'web', pod: 'web-0' }, '127.0.0.2');
    rauta = await startStandalone(toYaml(manifests(echo.port, certA)), { RAUTA_DEFAULT_CERTIFICATE: 'default/fallback-tls' });
  });
  after(async () => {
    await rauta.stop();
    await echo.close();
  });

  it('serves each host its own certificate and proxies with X-Forwarded-Proto https', async () => {
    for (const host of ['a.test', 'b.test']) {
      const res = await httpsGet(rauta.httpsPort, '/hello', { servername: host });
      assert.equal(res.status, 200);
      assert.deepEqual(sanNames(res.peer), [host]);
      assert.equal(res.alpn, 'http/1.1');
      const body = JSON.parse(res.body) as { host: string; headers: Record<string, string> };
      assert.equal(body.host, host);
      assert.equal(body.headers['x-forwarded-proto'], 'https');
    }
  });

  it('serves a wildcard certificate for a host below a wildcard TLS host', async () => {
    const res = await httpsGet(rauta.httpsPort, '/', { servername: 'x.wild.test' });
    assert.equal(res.status, 200);
    assert.deepEqual(sanNames(res.peer), ['*.wild.test']);
    // One label only: deeper names are not covered.
    assert.deepEqual(sanNames(await peerCertificate(rauta.httpsPort, 'y.x.wild.test')), ['fallback.test']);
  });

  it('serves RAUTA_DEFAULT_CERTIFICATE for unknown SNI and for clients sending none', async () => {
    assert.deepEqual(sanNames(await peerCertificate(rauta.httpsPort, 'unknown.test')), ['fallback.test']);
    assert.deepEqual(sanNames(await peerCertificate(rauta.httpsPort, undefined)), ['fallback.test']);
  });

  it('reports a mismatched key as a diagnostic, serves that host the default, others unaffected', async () => {
    const d = rauta.routes.table.diagnostics.find((x) => x.ingress === 'broken');
    assert.ok(d, 'expected a diagnostic on the broken Ingress');
    assert.equal(d.reason, 'InvalidCertificate');
    assert.match(d.message, /does not match/);
    assert.deepEqual(sanNames(await peerCertificate(rauta.httpsPort, 'broken.test')), ['fallback.test']);
    const ok = await httpsGet(rauta.httpsPort, '/', { servername: 'a.test' });
    assert.equal(ok.status, 200);
  });

  it('counts failed handshakes (TLS 1.1 only, weak cipher only, plain HTTP to the TLS port)', async () => {
    const before = rauta.protocols.handshakeFailures.total;
    const codes: string[] = [];
    rauta.protocols.handshakeFailures.onFailure((f) => codes.push(`${f.code}:${f.reason}`));
    await assert.rejects(peerCertificate(rauta.httpsPort, 'a.test', { minVersion: 'TLSv1', maxVersion: 'TLSv1.1' }));
    await assert.rejects(peerCertificate(rauta.httpsPort, 'a.test', { maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA' }));
    await new Promise<void>((resolve) => {
      const s = netConnect(rauta.httpsPort, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: a.test\r\n\r\n'));
      s.on('close', () => resolve());
      s.on('error', () => {});
      s.resume();
    });
    await waitFor(() => rauta.protocols.handshakeFailures.total >= before + 3);
    assert.equal(rauta.protocols.handshakeFailures.total, before + 3, codes.join());
    const reasons = rauta.protocols.handshakeFailures.byReason();
    assert.equal(reasons.get('plain_http'), 1, codes.join());
    assert.equal(reasons.get('no_shared_cipher'), 1, codes.join());
  });

  it('hot-swaps a Secret: an open connection keeps working, a new one gets the new certificate', async () => {
    const session = h2connect(`https://127.0.0.1:${rauta.httpsPort}`, { servername: 'a.test', rejectUnauthorized: false });
    try {
      await new Promise((resolve, reject) => session.once('connect', resolve).once('error', reject));
      const oldFingerprint = (session.socket as TLSSocket).getPeerCertificate?.().fingerprint256;
      assert.equal((await h2get(session, '/before')).status, 200);
      await rauta.update(toYaml(manifests(echo.port, certA2)));
      const fresh = await peerCertificate(rauta.httpsPort, 'a.test');
      assert.notEqual(fresh.fingerprint256, oldFingerprint);
      assert.equal(fresh.fingerprint256, x509Fingerprint(certA2));
      // The old connection: still open, still on the old certificate, still proxying.
      assert.equal((await h2get(session, '/after')).status, 200);
      assert.equal((session.socket as TLSSocket).getPeerCertificate().fingerprint256, oldFingerprint);
      assert.equal(oldFingerprint, x509Fingerprint(certA));
    } finally {
      session.close();
    }
  });
});

describe('tls - self-signed default certificate', () => {
  let rauta: RunningRauta;
  before(async () => {
    rauta = await startStandalone(toYaml([ingressClass()]), { RAUTA_DEFAULT_CERTIFICATE: 'default/missing' });
  });
  after(async () => {
    await rauta.stop();
  });

  it('serves the start-up self-signed certificate when the default Secret is missing, and says why', async () => {
    assert.deepEqual(sanNames(await peerCertificate(rauta.httpsPort, 'anything.test')), ['rauta.invalid']);
    const d = rauta.routes.table.diagnostics.find((x) => x.reason === 'SecretNotFound');
    assert.ok(d);
    assert.match(d.message, /RAUTA_DEFAULT_CERTIFICATE/);
  });
});

function x509Fingerprint(c: TestCert): string {
  return new X509Certificate(c.cert).fingerprint256;
}

function h2get(session: ReturnType<typeof h2connect>, path: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': path, ':authority': 'a.test' });
    let status = 0;
    req.on('response', (h) => { status = Number(h[':status']); });
    req.on('error', reject);
    req.resume();
    req.on('end', () => resolve({ status }));
  });
}

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}
