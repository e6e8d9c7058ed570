import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type TestCert, makeCert, makeCertWith, tlsSecret } from './support/certs.ts';
import { getJson } from './support/client.ts';
import { writeKubeconfig } from './support/fake-apiserver/kubeconfig.ts';
import { FakeApiServer } from './support/fake-apiserver/server.ts';
import { kubeEnv, waitFor } from './support/kube-harness.ts';
import { endpointSlice, ingress, ingressClass, service } from './support/manifests.ts';
import { Pods, hit, load, tally } from './support/pods.ts';
import { httpsGet, peerCertificate } from './support/tls-client.ts';

const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256;

/**
 * A Secret with a 1024-bit RSA key used to reach OpenSSL only inside a route-table swap, from the
 * informer's debounce timer, and end every replica (again after each restart while the Secret existed).
 * RAUTA runs here as a real process in Kubernetes mode against the fake API server, so "still serving"
 * means the process is alive and answering.
 */
describe('kubernetes - a TLS Secret with a key OpenSSL refuses does not take the process down', () => {
  let api: FakeApiServer;
  let shop: Pods;
  let dir: string;
  let child: ChildProcess | undefined;
  let exited: { code: number | null; signal: string | null } | undefined;
  let httpPort = 0;
  let httpsPort = 0;
  let adminPort = 0;
  let good: TestCert;
  let stdout = '';

  before(async () => {
    api = await FakeApiServer.start();
    shop = await Pods.start('shop', ['127.0.33.1', '127.0.33.2', '127.0.33.3']);
    good = makeCert(['secure.test']);
    for (const o of [
      ingressClass(),
      ingress('shop', { rules: [{ host: 'shop.test', paths: [{ path: '/', service: 'shop' }] }] }),
      ingress('secure', { rules: [{ host: 'secure.test', paths: [{ path: '/', service: 'shop' }] }], tls: [{ hosts: ['secure.test'], secretName: 'secure-tls' }] }),
      tlsSecret('secure-tls', good),
      service('shop'),
      endpointSlice('shop', shop.port, shop.endpoints),
    ]) api.put(o);
    dir = await mkdtemp(join(tmpdir(), 'rauta-weak-'));
    const kubeconfig = await writeKubeconfig(join(dir, 'kubeconfig'), api.url, { token: 'rauta' });
    child = spawn(process.execPath, ['src/cli.ts'], {
      cwd: join(import.meta.dirname, '..'),
      env: { ...process.env, ...kubeEnv(kubeconfig, { RAUTA_LOG_LEVEL: 'info', POD_NAME: 'weak-test' }) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.once('exit', (code, signal) => (exited = { code, signal }));
    const listening = await waitFor(() => {
      if (exited) throw new Error(`rauta exited at start: ${JSON.stringify(exited)}\n${stdout}`);
      return stdout.split('\n').map((l) => (l.startsWith('{') ? JSON.parse(l) as Record<string, unknown> : {})).find((l) => l.msg === 'rauta listening');
    }, 30_000, 'the "rauta listening" log line');
    const portOf = (addr: unknown) => Number(String(addr).split(':').pop());
    [httpPort, httpsPort, adminPort] = [portOf(listening.http), portOf(listening.https), portOf(listening.admin)];
    await waitFor(async () => (await hit(httpPort, '/', { host: 'shop.test' }).catch(() => ({ status: 0 }))).status === 200, 15_000, 'shop.test routed');
  });
  after(async () => {
    child?.kill('SIGKILL');
    await shop?.close();
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the weak Secret becomes an InvalidCertificate diagnostic; the process keeps serving every other host', async () => {
    const weak = await makeCertWith(['weak.test'], { rsaBits: 1024 });
    api.put(tlsSecret('weak-tls', weak));
    api.put(ingress('weak', { rules: [{ host: 'weak.test', paths: [{ path: '/', service: 'shop' }] }], tls: [{ hosts: ['weak.test'], secretName: 'weak-tls' }] }));
    type Routes = { ingresses: string[]; diagnostics: { ingress?: string; reason: string; message: string }[]; apply_failure: unknown };
    const routes = await waitFor(async () => {
      if (exited) throw new Error(`rauta exited: ${JSON.stringify(exited)}`);
      const { json } = await getJson<Routes>(adminPort, '/routes');
      return json.ingresses.includes('default/weak') ? json : undefined;
    }, 15_000, 'the weak Ingress in the route table');
    const diag = routes.diagnostics.find((d) => d.ingress === 'default/weak');
    assert.equal(diag?.reason, 'InvalidCertificate');
    assert.match(diag?.message ?? '', /ERR_SSL_EE_KEY_TOO_SMALL/);
    assert.equal(routes.apply_failure, null);

    // Let a few debounce rounds pass (an informer resync, a status write), then: still alive and balancing.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(exited, undefined, 'the process is still running');
    // The CLI runs data-plane workers by default (RAUTA_WORKERS=auto), each with its own round robin, so
    // the split need not be exactly 10/10/10; each worker still cycles through all three pods, which gives
    // every pod at least 9 of 30. The bug this guards against sent all 30 to one pod.
    const spread = tally(await load(30, 1, () => hit(httpPort, '/', { host: 'shop.test' })));
    assert.equal(spread.size, 3, `all three pods: ${JSON.stringify([...spread])}`);
    for (const [pod, n] of spread) assert.ok(n >= 8, `${pod} got ${n} of 30`);
    assert.equal([...spread.values()].reduce((a, b) => a + b, 0), 30);
    assert.equal((await peerCertificate(httpsPort, 'secure.test')).fingerprint256, fingerprintOf(good.cert));
    const res = await httpsGet(httpsPort, '/', { servername: 'weak.test' });
    assert.equal(res.status, 200, 'the weak host is routed, with the default certificate');
    assert.notEqual(res.peer.fingerprint256, fingerprintOf(weak.cert));
  });
});
