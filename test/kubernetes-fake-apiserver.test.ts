import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, KubeConfig, type V1ConfigMap, makeInformer } from '@kubernetes/client-node';
import { writeKubeconfig } from './support/fake-apiserver/kubeconfig.ts';
import { FakeApiServer } from './support/fake-apiserver/server.ts';
import { waitFor } from './support/kube-harness.ts';
import { ingress, toYaml } from './support/manifests.ts';

const run = promisify(execFile);
const KUBECTL = '/usr/bin/kubectl';

/** The fields these tests read from API responses (lists, objects, Status, discovery). */
interface Doc {
  metadata: { name: string; resourceVersion: string; generation?: number; labels?: Record<string, string>; continue?: string };
  items: Doc[];
  spec: { ingressClassName?: string };
  status?: { loadBalancer: { ingress: { ip: string }[] } };
  data?: Record<string, string>;
  versions: string[];
  groups: { name: string }[];
  resources: { name: string }[];
  reason: string;
  code: number;
}

async function call(api: FakeApiServer, method: string, path: string, body?: unknown, contentType = 'application/json') {
  const res = await fetch(`${api.url}${path}`, { method, headers: body === undefined ? {} : { 'content-type': contentType }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Doc };
}

/** Reads watch events until `enough` says so (or `ms` pass), then hangs up. */
async function watchEvents(api: FakeApiServer, path: string, enough: (events: { type: string; object: Doc }[]) => boolean, ms = 3000) {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  const events: { type: string; object: Doc }[] = [];
  try {
    const res = await fetch(`${api.url}${path}`, { signal: ac.signal });
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        events.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
      }
      if (enough(events)) break;
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return events;
}

const cm = (name: string, data: Record<string, string>, labels?: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', ...(labels ? { labels } : {}) }, data });

describe('fake API server - speaks the Kubernetes REST protocol', () => {
  let api: FakeApiServer;
  before(async () => {
    api = await FakeApiServer.start({ bookmarkIntervalMs: 50 });
  });
  after(() => api.close());

  it('serves discovery documents', async () => {
    assert.deepEqual((await call(api, 'GET', '/api')).json.versions, ['v1']);
    const groups = (await call(api, 'GET', '/apis')).json.groups.map((g: { name: string }) => g.name);
    for (const g of ['networking.k8s.io', 'discovery.k8s.io', 'coordination.k8s.io', 'events.k8s.io']) assert.ok(groups.includes(g), g);
    const net = (await call(api, 'GET', '/apis/networking.k8s.io/v1')).json.resources.map((r: { name: string }) => r.name);
    assert.deepEqual(net.sort(), ['ingressclasses', 'ingresses', 'ingresses/status']);
  });

  it('lists with resourceVersion, limit/continue, label and field selectors', async () => {
    for (let i = 0; i < 5; i++) await call(api, 'POST', '/api/v1/namespaces/default/configmaps', cm(`page-${i}`, { i: String(i) }, { tier: i % 2 === 0 ? 'even' : 'odd' }));
    const first = await call(api, 'GET', '/api/v1/namespaces/default/configmaps?limit=2&labelSelector=tier%20in%20(even,odd)');
    assert.equal(first.json.items.length, 2);
    assert.ok(first.json.metadata.continue);
    assert.match(first.json.metadata.resourceVersion, /^\d+$/);
    const names = first.json.items.map((o: { metadata: { name: string } }) => o.metadata.name);
    let cont: string | undefined = first.json.metadata.continue;
    while (cont) {
      const page = await call(api, 'GET', `/api/v1/namespaces/default/configmaps?limit=2&continue=${cont}`);
      names.push(...page.json.items.map((o: { metadata: { name: string } }) => o.metadata.name));
      cont = page.json.metadata.continue;
    }
    assert.deepEqual(names, ['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
    const even = await call(api, 'GET', '/api/v1/configmaps?labelSelector=tier%3Deven');
    assert.equal(even.json.items.length, 3);
    const one = await call(api, 'GET', '/api/v1/configmaps?fieldSelector=metadata.name%3Dpage-3');
    assert.deepEqual(one.json.items.map((o: { metadata: { name: string } }) => o.metadata.name), ['page-3']);
  });

  it('enforces optimistic concurrency and the status subresource', async () => {
    const created = await call(api, 'POST', '/apis/networking.k8s.io/v1/namespaces/default/ingresses', ingress('occ'));
    assert.equal(created.status, 201);
    assert.equal((await call(api, 'POST', '/apis/networking.k8s.io/v1/namespaces/default/ingresses', ingress('occ'))).status, 409);
    const obj = created.json;
    const updated = await call(api, 'PUT', '/apis/networking.k8s.io/v1/namespaces/default/ingresses/occ', { ...obj, spec: { ingressClassName: 'x' }, status: { loadBalancer: { ingress: [{ ip: '1.1.1.1' }] } } });
    assert.equal(updated.status, 200);
    assert.equal(updated.json.status, undefined, 'the main resource ignores status');
    assert.equal(updated.json.metadata.generation, 2);
    const stale = await call(api, 'PUT', '/apis/networking.k8s.io/v1/namespaces/default/ingresses/occ', { ...obj, spec: { ingressClassName: 'y' } });
    assert.equal(stale.status, 409);
    assert.equal(stale.json.reason, 'Conflict');
    const st = await call(api, 'PATCH', '/apis/networking.k8s.io/v1/namespaces/default/ingresses/occ/status', { status: { loadBalancer: { ingress: [{ ip: '2.2.2.2' }] } }, spec: { ingressClassName: 'ignored' } }, 'application/merge-patch+json');
    assert.equal(st.json.status?.loadBalancer.ingress[0].ip, '2.2.2.2');
    assert.equal(st.json.spec.ingressClassName, 'x', '/status ignores spec');
    const jp = await call(api, 'PATCH', '/apis/networking.k8s.io/v1/namespaces/default/ingresses/occ', [{ op: 'replace', path: '/spec/ingressClassName', value: 'z' }], 'application/json-patch+json');
    assert.equal(jp.json.spec.ingressClassName, 'z');
    const smp = await call(api, 'PATCH', '/apis/networking.k8s.io/v1/namespaces/default/ingresses/occ', { metadata: { labels: { a: 'b' } } }, 'application/strategic-merge-patch+json');
    assert.equal(smp.json.metadata.labels?.a, 'b');
    const stalePatch = await call(api, 'PATCH', '/apis/networking.k8s.io/v1/namespaces/default/ingresses/occ', { metadata: { resourceVersion: obj.metadata.resourceVersion } }, 'application/merge-patch+json');
    assert.equal(stalePatch.status, 409);
    assert.equal((await call(api, 'DELETE', '/apis/networking.k8s.io/v1/namespaces/default/ingresses/occ')).status, 200);
    assert.equal((await call(api, 'GET', '/apis/networking.k8s.io/v1/namespaces/default/ingresses/occ')).status, 404);
  });

  it('streams watch events, replays from a resourceVersion, sends bookmarks, and expires compacted history', async () => {
    const start = api.store.resourceVersion;
    api.put(cm('w', { v: '1' }));
    api.put(cm('w', { v: '2' }));
    api.remove('v1', 'ConfigMap', 'default', 'w');
    const replay = await watchEvents(api, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${start}&allowWatchBookmarks=true`, (ev) => ev.some((e) => e.type === 'BOOKMARK'));
    assert.deepEqual(replay.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type}:${e.object.data?.v}`), ['ADDED:1', 'MODIFIED:2', 'DELETED:2']);
    assert.match(replay.find((e) => e.type === 'BOOKMARK')!.object.metadata.resourceVersion, /^\d+$/);
    api.compact();
    const expired = await watchEvents(api, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${start}`, (ev) => ev.length > 0);
    assert.equal(expired[0].type, 'ERROR');
    assert.equal(expired[0].object.code, 410);
    const list = await call(api, 'GET', `/api/v1/configmaps?resourceVersion=${start}&resourceVersionMatch=Exact`);
    assert.equal(list.status, 410);
  });

  it('injects faults: 5xx for a while, latency, dropped watches', async () => {
    api.failFor(200, 500);
    assert.equal((await call(api, 'GET', '/api/v1/configmaps')).status, 500);
    await new Promise((r) => setTimeout(r, 250));
    assert.equal((await call(api, 'GET', '/api/v1/configmaps')).status, 200);
    api.setLatency(100);
    const t0 = performance.now();
    await call(api, 'GET', '/api/v1/configmaps');
    assert.ok(performance.now() - t0 >= 95);
    api.setLatency(0);
  });

  it('works with the real client-node informer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fake-api-'));
    try {
      const kc = new KubeConfig();
      kc.loadFromFile(await writeKubeconfig(join(dir, 'kubeconfig'), api.url));
      const core = kc.makeApiClient(CoreV1Api);
      const informer = makeInformer<V1ConfigMap>(kc, '/api/v1/namespaces/informed/configmaps', () => core.listNamespacedConfigMap({ namespace: 'informed' }));
      const seen: string[] = [];
      informer.on('add', (o) => seen.push(`add:${o.metadata?.name}`));
      informer.on('update', (o) => seen.push(`update:${o.data?.v}`));
      informer.on('delete', (o) => seen.push(`delete:${o.metadata?.name}`));
      await core.createNamespacedConfigMap({ namespace: 'informed', body: { metadata: { name: 'x' }, data: { v: '1' } } });
      await informer.start();
      await core.replaceNamespacedConfigMap({ name: 'x', namespace: 'informed', body: { metadata: { name: 'x' }, data: { v: '2' } } });
      await core.deleteNamespacedConfigMap({ name: 'x', namespace: 'informed' });
      await waitFor(() => seen.length >= 3, 3000, 'three informer events');
      api.dropWatches('close'); // ListWatch reconnects by itself after a clean end
      await core.createNamespacedConfigMap({ namespace: 'informed', body: { metadata: { name: 'y' }, data: { v: '3' } } });
      await waitFor(() => seen.includes('add:y'), 5000, 'add:y after the watch was dropped');
      assert.deepEqual(seen, ['add:x', 'update:2', 'delete:x', 'add:y']);
      await informer.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('works with kubectl get and apply', async () => {
    assert.ok(existsSync(KUBECTL), `kubectl is missing: install it (e.g. "curl -LO https://dl.k8s.io/release/v1.32.4/bin/linux/amd64/kubectl && install kubectl ${KUBECTL}")`);
    const dir = await mkdtemp(join(tmpdir(), 'fake-api-'));
    try {
      const kubeconfig = await writeKubeconfig(join(dir, 'kubeconfig'), api.url);
      api.put(ingress('listed', { namespace: 'shop' }));
      const { stdout } = await run(KUBECTL, ['--kubeconfig', kubeconfig, 'get', 'ingresses', '-A']);
      assert.match(stdout, /shop\s+listed/);
      const file = join(dir, 'ing.yaml');
      const rules = (host: string) => [{ host, paths: [{ path: '/', service: 'web' }] }];
      await writeFile(file, toYaml([ingress('applied', { namespace: 'shop', rules: rules('a.test') })]));
      assert.match((await run(KUBECTL, ['--kubeconfig', kubeconfig, 'apply', '-f', file])).stdout, /created/);
      await writeFile(file, toYaml([ingress('applied', { namespace: 'shop', rules: rules('b.test') })]));
      assert.match((await run(KUBECTL, ['--kubeconfig', kubeconfig, 'apply', '-f', file])).stdout, /configured/);
      const host = (await run(KUBECTL, ['--kubeconfig', kubeconfig, 'get', 'ingress', 'applied', '-n', 'shop', '-o', 'jsonpath={.spec.rules[0].host}'])).stdout;
      assert.equal(host, 'b.test');
      await run(KUBECTL, ['--kubeconfig', kubeconfig, 'delete', 'ingress', 'applied', '-n', 'shop']);
      assert.equal(api.get('networking.k8s.io/v1', 'Ingress', 'shop', 'applied'), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
