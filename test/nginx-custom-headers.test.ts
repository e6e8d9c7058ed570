import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCluster } from '../src/commands/cluster.ts';
import { parseManifests } from '../src/sources/file/manifests.ts';
import { migrationReport } from '../src/translate/nginx/report.ts';
import { writeKubeconfig } from './support/fake-apiserver/kubeconfig.ts';
import { type TestBackend, startBackend } from './support/backends.ts';
import { get } from './support/client.ts';
import { FakeApiServer } from './support/fake-apiserver/server.ts';
import { type RunningKubeRauta, startKubeRauta, waitFor } from './support/kube-harness.ts';
import { type Obj, endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { type RecordingPipeline, startRecordingPipeline } from './support/recording-pipeline.ts';

const N = 'nginx.ingress.kubernetes.io/';

const configMap = (name: string, data: Record<string, string>, namespace = 'default'): Obj => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data });

/** custom-headers: response headers from a ConfigMap, only names the operator allowed, values checked. */
describe('nginx annotations - custom-headers', () => {
  let app: TestBackend;
  let pipeline: RecordingPipeline;
  const objects: Obj[] = [];
  const site = (host: string, value: string) => {
    objects.push(ingress(host.replaceAll('.', '-'), { rules: [{ host, paths: [{ path: '/', service: 'app' }] }], annotations: { [`${N}custom-headers`]: value } }));
  };

  before(async () => {
    app = await startBackend('127.0.0.3', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-frame-options': 'SAMEORIGIN' });
      res.end('ok');
    });
    site('headers.test', 'default/security-headers');
    site('bare.test', 'security-headers');
    site('crlf.test', 'default/crlf');
    site('badname.test', 'default/bad-name');
    site('notallowed.test', 'default/not-allowed');
    site('otherns.test', 'kube-system/security-headers');
    site('missing.test', 'default/nope');
    site('huge.test', 'default/huge');
    site('ref-crlf.test', 'default/security-headers\r\nX-Evil: 1');
    const many: Record<string, string> = {};
    for (let i = 0; i < 200; i++) many[`x-h${i}`] = 'v';
    pipeline = await startRecordingPipeline([
      ingressClass(), ...objects, service('app'), endpointSlice('app', app.port, [{ ip: app.ip }]),
      configMap('security-headers', { 'X-Frame-Options': 'DENY', 'X-Content-Type-Options': 'nosniff', 'X-Team': 'blue team' }),
      configMap('security-headers', { 'X-Frame-Options': 'ALLOWALL' }, 'kube-system'),
      configMap('crlf', { 'X-Team': 'blue\r\nSet-Cookie: session=stolen' }),
      configMap('bad-name', { 'X Team': 'blue' }),
      configMap('not-allowed', { 'X-Frame-Options': 'DENY', 'Set-Cookie': 'a=b' }),
      configMap('huge', many),
    ], { RAUTA_ALLOWED_RESPONSE_HEADERS: 'X-Frame-Options, x-content-type-options,X-Team' });
  });
  after(async () => {
    await pipeline.stop();
    await app.close();
  });
  const diag = (host: string) => pipeline.routes.table.diagnostics.filter((d) => d.ingress === host.replaceAll('.', '-'));

  it('sets every header of the ConfigMap on the backend\'s responses, replacing the backend\'s own', async () => {
    for (const host of ['headers.test', 'bare.test']) {
      const r = await get(pipeline.httpPort, '/', { host });
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-frame-options'], 'DENY', host);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', host);
      assert.equal(r.headers['x-team'], 'blue team', host);
      assert.equal(diag(host).length, 0, JSON.stringify(diag(host)));
    }
  });

  it('hostile ConfigMaps and references: the annotation is dropped with a diagnostic; nothing is spliced', async () => {
    for (const [host, pattern] of [
      ['crlf.test', /value of x-team .* holds CR, LF/i],
      ['badname.test', /"X Team" .* is not a header name/],
      ['notallowed.test', /set-cookie not allowed: list them in RAUTA_ALLOWED_RESPONSE_HEADERS/],
      ['otherns.test', /kube-system\/security-headers is in another namespace/],
      ['missing.test', /ConfigMap default\/nope not found/],
      ['huge.test', /too large to read/],
      ['ref-crlf.test', /is not namespace\/name of a ConfigMap/],
    ] as const) {
      const r = await get(pipeline.httpPort, '/', { host });
      assert.equal(r.status, 200, host);
      assert.equal(r.headers['x-frame-options'], 'SAMEORIGIN', host);
      assert.equal(r.headers['set-cookie'], undefined, host);
      assert.equal(r.headers['x-team'], undefined, host);
      assert.ok(diag(host).some((d) => d.reason === 'InvalidAnnotation' && pattern.test(d.message)), `${host}: ${JSON.stringify(diag(host))}`);
    }
  });

  it('the file source reads ConfigMaps (small ones\' data only)', () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 200; i++) many[`k${i}`] = 'v';
    const set = parseManifests([{ name: 'a.yaml', text: toYaml([configMap('small', { 'X-A': '1', n: 2 as unknown as string }), configMap('big', many, 'other')]) }]);
    assert.deepEqual(set.configMaps?.map((c) => [c.metadata.namespace, c.metadata.name, c.data, c.tooLarge]), [
      ['default', 'small', { 'X-A': '1' }, undefined],
      ['other', 'big', undefined, true],
    ]);
  });
});

describe('kubernetes - custom-headers ConfigMaps are watched', () => {
  let api: FakeApiServer;
  let rauta: RunningKubeRauta;
  before(async () => {
    api = await FakeApiServer.start();
    for (const o of [
      ingressClass(),
      ingress('web', { rules: [{ host: 'cm.test', paths: [{ path: '/', service: 'web' }] }], annotations: { [`${N}custom-headers`]: 'default/hdrs' } }),
      service('web'),
      configMap('hdrs', { 'X-Frame-Options': 'DENY' }),
    ]) api.put(o);
    rauta = await startKubeRauta(api, { POD_NAME: 'cm-a', RAUTA_ALLOWED_RESPONSE_HEADERS: 'x-frame-options' });
  });
  after(async () => {
    await rauta.stop();
    await api.close();
  });

  it('rauta migrate --kubeconfig reads the ConfigMaps custom-headers names (only those)', async () => {
    api.put(configMap('unrelated', { big: 'x' }));
    const dir = mkdtempSync(join(tmpdir(), 'rauta-cm-'));
    try {
      const objects = await readCluster(await writeKubeconfig(join(dir, 'kubeconfig'), api.url, { token: 'migrate' }), 'nginx.ingress.kubernetes.io');
      assert.deepEqual(objects.configMaps?.map((c) => `${c.metadata.namespace}/${c.metadata.name}`), ['default/hdrs']);
      const verdict = migrationReport(objects).ingresses[0].annotations.find((a) => a.annotation === `${N}custom-headers`);
      assert.equal(verdict?.outcome, 'honoured-with-difference');
      assert.match(verdict?.detail ?? '', /applies only when RAUTA_ALLOWED_RESPONSE_HEADERS lists x-frame-options/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a ConfigMap from the API server becomes response headers, and a change to it is picked up', async () => {
    const backend = await startBackend('127.0.0.3', (_req, res) => { res.writeHead(200); res.end('ok'); });
    try {
      api.put(endpointSlice('web', backend.port, [{ ip: backend.ip }]));
      const frame = async () => (await get(rauta.httpPort, '/', { host: 'cm.test' })).headers['x-frame-options'];
      await waitFor(async () => (await frame()) === 'DENY', 8000, 'the header from the ConfigMap');
      api.put(configMap('hdrs', { 'X-Frame-Options': 'SAMEORIGIN' }));
      await waitFor(async () => (await frame()) === 'SAMEORIGIN', 8000, 'the changed header');
      api.put(configMap('hdrs', { 'X-Frame-Options': 'DENY\r\nX-Evil: 1' }));
      await rauta.waitForTable((t) => t.diagnostics.some((d) => /holds CR, LF/.test(d.message)), 8000, 'the diagnostic for a CRLF value');
      assert.equal(await frame(), undefined);
    } finally {
      await backend.close();
    }
  });
});
