import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type Server, Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load.ts';
import type { MetricsSnapshot } from '../src/telemetry/sinks/metrics.ts';
import { type Cluster, startCluster } from '../src/workers/cluster.ts';
import { resolveWorkers } from '../src/workers/count.ts';
import { TableAssembler, TableSender, tableMessages } from '../src/workers/table-feed.ts';
import { TranslationMemo } from '../src/translate/memo.ts';
import type { TablePart } from '../src/workers/protocol.ts';
import { translate } from '../src/translate/translate.ts';
import type { ObjectSet } from '../src/sources/object-set.ts';
import { parseManifests } from '../src/sources/file/manifests.ts';
import { get } from './support/client.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';

/** A backend on 127.0.0.10: answers at once, or after 600 ms under /slow. */
async function startBackend(): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const answer = () => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`ok ${req.url}`);
    };
    if (req.url?.startsWith('/slow')) setTimeout(answer, 600);
    else answer();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.10', r));
  return { server, port: (server.address() as AddressInfo).port };
}

function manifests(port: number, hosts: readonly string[]): string {
  return toYaml([
    ingressClass(),
    ...hosts.map((host, i) => ingress(`web-${i}`, { rules: [{ host, paths: [{ path: '/', service: 'web' }] }] })),
    service('web'),
    endpointSlice('web', port, [{ ip: '127.0.0.10', pod: 'web-0' }]),
  ]);
}

/** rauta_requests_total summed over the given snapshots, optionally for one Ingress. */
function requestsIn(snapshots: readonly MetricsSnapshot[], ingressName?: string): number {
  let n = 0;
  for (const s of snapshots) {
    for (const m of s) {
      if (m.name !== 'rauta_requests_total') continue;
      for (const v of m.values) if (ingressName === undefined || v.labels.ingress === ingressName) n += v.value;
    }
  }
  return n;
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('workers - how many', () => {
  it('auto is the usable CPUs, capped by the cgroup quota, at least 1; a number is taken as given', () => {
    assert.equal(resolveWorkers('auto', { parallelism: 8, cgroup: undefined }), 8);
    assert.equal(resolveWorkers('auto', { parallelism: 8, cgroup: 2 }), 2);
    assert.equal(resolveWorkers('auto', { parallelism: 1, cgroup: 4 }), 1);
    assert.equal(resolveWorkers('3', { parallelism: 1, cgroup: 1 }), 3);
    assert.ok(resolveWorkers('auto') >= 1);
  });
});

describe('workers - a route table crosses to a worker in parts', () => {
  it('the rebuilt table equals the translated one, and routes share their backend objects with the table', () => {
    const hosts = Array.from({ length: 1500 }, (_, i) => `h${i}.test`);
    const objects: ObjectSet = parseManifests([{ name: 'm.yaml', text: manifests(8080, hosts) }]);
    const { table } = translate(objects, { ingressClass: 'rauta', controllerName: 'rauta.io/ingress-controller' });
    const messages = tableMessages(7, table, { fingerprint: 'f', appliedAt: 'now', durationMs: 1, newDiagnostics: [] });
    assert.ok(messages.length > 2, 'a 1,500-route table is sent in several parts');
    const assembler = new TableAssembler();
    // A stale part of an older table is dropped when the newer one starts.
    assembler.part({ type: 'table-part', seq: 6, routes: [] });
    let change: ReturnType<TableAssembler['change']> | undefined;
    for (const m of messages.map((x) => structuredClone(x))) {
      if (m.type === 'table-part') assembler.part(m);
      else change = assembler.change(m);
    }
    assert.ok(change !== undefined);
    assert.deepEqual(change.table.routes, table.routes);
    assert.deepEqual(change.table.backends, table.backends);
    assert.equal(change.fingerprint, 'f');
    for (const r of change.table.routes) assert.ok(change.table.backends.includes(r.backend), 'route.backend is the table\'s backend object');
    assert.equal(change.table.match('h42.test', '/x')?.ingress.name, 'web-42');
  });
});

describe('workers - a later table crosses as what changed', () => {
  /** 300 Services, each with its own Ingress (two paths) and EndpointSlice; `moved` changes one pod IP. */
  const objectsFor = (moved: string) => parseManifests([{ name: 'm.yaml', text: toYaml([
    ingressClass(),
    ...Array.from({ length: 300 }, (_, i) => [
      ingress(`app-${i}`, { rules: [{ host: `app-${i}.test`, paths: [{ path: '/', service: `svc-${i}` }, { path: '/api', service: `svc-${i}` }] }] }),
      service(`svc-${i}`),
      endpointSlice(`svc-${i}`, 8080, [{ ip: i === 7 ? moved : `127.0.1.${i % 250}`, pod: `pod-${i}` }]),
    ]).flat(),
  ]) }]);
  const deliver = (assembler: TableAssembler, messages: ReturnType<TableSender['messages']>) => {
    let change: ReturnType<TableAssembler['change']>;
    for (const m of messages.map((x) => structuredClone(x))) {
      if (m.type === 'table-part') assembler.part(m);
      else change = assembler.change(m);
    }
    return change;
  };
  const meta = { fingerprint: 'f', appliedAt: 'now', durationMs: 1, newDiagnostics: [] };

  it('an EndpointSlice change sends one backend and the routes that use it; the rest keeps its objects', () => {
    const memo = new TranslationMemo();
    const opts = { ingressClass: 'rauta', controllerName: 'rauta.io/ingress-controller', memo };
    const before = objectsFor('127.0.9.1');
    const first = translate(before, opts).table;
    // The source keeps unchanged objects; only the one EndpointSlice is new.
    const changed = objectsFor('127.0.9.2');
    const after = { ...before, endpointSlices: before.endpointSlices.map((s, i) => (s.metadata.labels?.['kubernetes.io/service-name'] === 'svc-7' ? changed.endpointSlices[i] : s)) };
    const second = translate(after, opts).table;
    assert.equal(second.backends.filter((b, i) => b !== first.backends[i]).length, 1, 'translation returns unchanged backends as the same objects');

    const sender = new TableSender();
    const assembler = new TableAssembler();
    const one = deliver(assembler, sender.messages(1, first, meta));
    assert.ok(one !== undefined);
    const delta = sender.messages(2, second, meta);
    const parts = delta.filter((m): m is TablePart => m.type === 'table-part');
    const objects = (list: readonly unknown[] | undefined) => (list ?? []).filter((x) => typeof x !== 'number').length;
    assert.equal(parts.reduce((n, p) => n + objects(p.backends), 0), 1, 'one backend object crosses');
    assert.equal(parts.reduce((n, p) => n + objects(p.routes), 0), 2, 'the two routes of the changed backend cross');
    const last = delta.at(-1);
    assert.ok(last?.type === 'table');
    assert.deepEqual([...last.unchanged].sort(), ['certificates', 'diagnostics', 'ingresses'], 'lists equal to the base table\'s do not cross again');
    assert.equal(last.input.ingresses.length, 0);
    const two = deliver(assembler, delta);
    assert.ok(two !== undefined);
    assert.deepEqual(two.table.ingresses, second.ingresses);
    assert.equal(two.table.ingresses.length, 300);
    assert.deepEqual(two.table.routes, second.routes);
    assert.deepEqual(two.table.backends, second.backends);
    const kept = two.table.routes.filter((r, i) => r === one.table.routes[i]).length;
    assert.equal(kept, second.routes.length - 2, 'unchanged routes are the worker\'s own objects from the table before');
    for (const r of two.table.routes) assert.ok(two.table.backends.includes(r.backend));
    assert.equal(two.table.match('app-7.test', '/api/x')?.backend.endpoints[0]?.ip, '127.0.9.2');
    assert.equal(two.table.match('app-8.test', '/')?.backend, one.table.match('app-8.test', '/')?.backend);
  });

  it('a worker without the base table asks for the table whole instead of guessing', () => {
    const memo = new TranslationMemo();
    const opts = { ingressClass: 'rauta', controllerName: 'rauta.io/ingress-controller', memo };
    const sender = new TableSender();
    sender.messages(1, translate(objectsFor('127.0.9.1'), opts).table, meta);
    const second = translate(objectsFor('127.0.9.2'), opts).table;
    const late = new TableAssembler();
    assert.equal(deliver(late, sender.messages(2, second, meta)), undefined);
    const whole = deliver(late, tableMessages(2, second, meta));
    assert.ok(whole !== undefined);
    assert.deepEqual(whole.table.routes, second.routes);
  });
});

describe('workers - several data-plane processes behind one control plane', () => {
  let backend: { server: Server; port: number };
  let dir: string;
  let manifestPath: string;
  let cluster: Cluster;
  before(async () => {
    backend = await startBackend();
    dir = await mkdtemp(join(tmpdir(), 'rauta-workers-'));
    manifestPath = join(dir, 'manifests.yaml');
    await writeFile(manifestPath, manifests(backend.port, ['a.test']));
    const { config } = loadConfig([], {
      RAUTA_CONFIG: manifestPath, RAUTA_HTTP_PORT: '0', RAUTA_HTTPS_PORT: '0', RAUTA_ADMIN_PORT: '0',
      RAUTA_BIND_ADDRESS: '127.0.0.1', RAUTA_ADMIN_BIND_ADDRESS: '127.0.0.1', RAUTA_SHUTDOWN_GRACE_SECONDS: '2', RAUTA_LOG_LEVEL: 'silent',
    });
    cluster = await startCluster(config, pino({ level: 'silent' }), 2);
  });
  after(async () => {
    await cluster?.shutdown();
    await new Promise((r) => backend.server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('every worker serves: connections are spread over both processes', async () => {
    assert.equal(cluster.pids().length, 2);
    for (let i = 0; i < 60; i++) assert.equal((await get(cluster.httpPort, `/spread-${i}`, { host: 'a.test' })).status, 200);
    const perWorker = await cluster.workerMetrics();
    assert.equal(perWorker.length, 2);
    for (const w of perWorker) assert.ok(requestsIn(w.snapshots) > 0, `worker ${w.id} served none of 60 connections`);
    assert.equal(perWorker.reduce((n, w) => n + requestsIn(w.snapshots), 0), 60);
  });

  it('every worker serves the pod\'s one start-up certificate for unknown SNI', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      seen.add(await new Promise<string>((resolve, reject) => {
        const socket = tlsConnect({ host: '127.0.0.1', port: cluster.httpsPort, servername: 'unknown.test', rejectUnauthorized: false }, () => {
          resolve(socket.getPeerCertificate().fingerprint256);
          socket.destroy();
        });
        socket.once('error', reject);
      }));
    }
    assert.equal(seen.size, 1, `${seen.size} different start-up certificates across the workers`);
  });

  it('/metrics and /requests cover every worker', async () => {
    const before = await cluster.workerMetrics();
    const base = before.reduce((n, w) => n + requestsIn(w.snapshots, 'web-0'), 0);
    for (let i = 0; i < 30; i++) assert.equal((await get(cluster.httpPort, `/agg-${i}`, { host: 'a.test' })).status, 200);
    const metrics = (await get(cluster.adminPort, '/metrics')).body;
    const line = metrics.split('\n').find((l) => l.startsWith('rauta_requests_total{') && l.includes('ingress="web-0"') && l.includes('code="200"'));
    assert.ok(line !== undefined, 'request counter present');
    assert.equal(Number(line.split(' ').at(-1)), base + 30, 'the counter adds up both workers');
    assert.match(metrics, /^rauta_worker_restarts_total 0$/m);
    const events = JSON.parse((await get(cluster.adminPort, '/requests?format=json&limit=1000')).body) as { data: { path: string } }[];
    const paths = new Set(events.map((e) => e.data.path));
    for (let i = 0; i < 30; i++) assert.ok(paths.has(`/agg-${i}`), `/agg-${i} in /requests`);
    const perWorker = await cluster.workerMetrics();
    for (const w of perWorker) assert.ok(requestsIn(w.snapshots, 'web-0') > 0, `worker ${w.id} contributed`);
  });

  it('a config change reaches every worker before /routes reports it', async () => {
    const old = JSON.parse((await get(cluster.adminPort, '/routes')).body) as { fingerprint: string };
    await writeFile(manifestPath, manifests(backend.port, ['a.test', 'b.test']));
    await until('/routes shows the new table', async () => (JSON.parse((await get(cluster.adminPort, '/routes')).body) as { fingerprint: string }).fingerprint !== old.fingerprint);
    // From this moment on, whichever worker a connection lands on knows b.test.
    for (let i = 0; i < 40; i++) assert.equal((await get(cluster.httpPort, `/new-${i}`, { host: 'b.test' })).status, 200, `request ${i} to the new host`);
    const perWorker = await cluster.workerMetrics();
    for (const w of perWorker) assert.ok(requestsIn(w.snapshots, 'web-1') > 0, `worker ${w.id} served the new host`);
  });

  it('active health checks run once for the pod (in the primary) and every worker follows their verdict', async () => {
    let probes = 0;
    let traffic = 0;
    const sick = createServer((req, res) => {
      if (req.url === '/healthz') probes++;
      else traffic++;
      res.writeHead(req.url === '/healthz' ? 500 : 200);
      res.end();
    });
    await new Promise<void>((r) => sick.listen(backend.port, '127.0.0.11', r));
    try {
      await writeFile(manifestPath, toYaml([
        ingressClass(),
        ...['a.test', 'b.test'].map((host, i) => ingress(`web-${i}`, { rules: [{ host, paths: [{ path: '/', service: 'web' }] }] })),
        service('web'),
        endpointSlice('web', backend.port, [{ ip: '127.0.0.10', pod: 'web-0' }]),
        ingress('probed', {
          rules: [{ host: 'probed.test', paths: [{ path: '/', service: 'probed' }] }],
          annotations: { 'rauta.io/health-check-path': '/healthz', 'rauta.io/health-check-interval': '200ms', 'rauta.io/health-check-timeout': '500ms', 'rauta.io/health-check-unhealthy-threshold': '2', 'rauta.io/health-check-healthy-threshold': '2' },
        }),
        service('probed'),
        endpointSlice('probed', backend.port, [{ ip: '127.0.0.10', pod: 'good-0' }, { ip: '127.0.0.11', pod: 'sick-0' }]),
      ]));
      const sickKey = `127.0.0.11:${backend.port}`;
      await until('the sick endpoint is unhealthy in every worker', async () => {
        const view = JSON.parse((await get(cluster.adminPort, '/backends')).body) as { backends: { endpoints: { key: string; health: string }[] }[] };
        return view.backends.some((b) => b.endpoints.some((e) => e.key === sickKey && e.health === 'unhealthy'));
      });
      const before = { probes, traffic };
      const windowMs = 2000;
      for (const t0 = Date.now(); Date.now() - t0 < windowMs;) assert.equal((await get(cluster.httpPort, '/p', { host: 'probed.test' })).status, 200);
      assert.equal(traffic, before.traffic, 'no worker sent traffic to the endpoint the probes found unhealthy');
      // One prober every 200 ms gives about 10 probes in 2 s; one per process (primary + 2 workers) would give about 30.
      assert.ok(probes - before.probes <= 16, `${probes - before.probes} probes in ${windowMs} ms: one prober per pod`);
      assert.ok(probes - before.probes >= 1, 'the primary keeps probing');
    } finally {
      sick.closeAllConnections();
      await new Promise((r) => sick.close(r));
    }
  });

  it('/backends shows what a worker saw: an endpoint that refuses connections is ejected there and reported as such', async () => {
    // Nothing listens on 127.0.0.12 at the backend's port: connections are refused, the good pod answers.
    const deadKey = `127.0.0.12:${backend.port}`;
    await writeFile(manifestPath, toYaml([
      ingressClass(),
      ingress('web-0', { rules: [{ host: 'a.test', paths: [{ path: '/', service: 'web' }] }] }),
      service('web'),
      endpointSlice('web', backend.port, [{ ip: '127.0.0.10', pod: 'web-0' }, { ip: '127.0.0.12', pod: 'dead-0' }]),
    ]));
    await until('the new table is live', async () => (await get(cluster.httpPort, '/', { host: 'a.test' })).status === 200 && (JSON.parse((await get(cluster.adminPort, '/backends')).body) as { backends: { endpoints: { key: string }[] }[] }).backends.some((b) => b.endpoints.some((e) => e.key === deadKey)));
    for (let i = 0; i < 40; i++) assert.equal((await get(cluster.httpPort, '/', { host: 'a.test' })).status, 200, 'the refused attempts are retried on the good pod');
    await until('the dead endpoint shows as ejected, with its failures, in /backends', async () => {
      const view = JSON.parse((await get(cluster.adminPort, '/backends')).body) as { backends: { endpoints: { key: string; health: string; consecutive_failures: number }[] }[] };
      const e = view.backends.flatMap((b) => b.endpoints).find((x) => x.key === deadKey);
      return e?.health === 'ejected';
    });
    const view = JSON.parse((await get(cluster.adminPort, '/backends')).body) as { backends: { endpoints: { key: string; health: string }[] }[] };
    assert.equal(view.backends.flatMap((b) => b.endpoints).find((x) => x.key === `127.0.0.10:${backend.port}`)?.health, 'healthy');
    // Back to the two hosts the next test uses.
    await writeFile(manifestPath, manifests(backend.port, ['a.test', 'b.test']));
    await until('b.test served again', async () => (await get(cluster.httpPort, '/', { host: 'b.test' })).status === 200);
  });

  it('killing one worker loses no request on the others, and it is replaced', async () => {
    // 16 keep-alive connections, each with a request in flight (600 ms) when a worker is killed.
    const agents = Array.from({ length: 16 }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
    const closed = new Set<number>();
    const once = (i: number, path: string) => new Promise<number>((resolve) => {
      const req = request({ host: '127.0.0.1', port: cluster.httpPort, path, headers: { host: 'a.test' }, agent: agents[i] }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(-1));
      });
      req.on('socket', (s) => s.once('close', () => closed.add(i)));
      req.on('error', () => resolve(-1));
      req.end();
    });
    try {
      assert.deepEqual(await Promise.all(agents.map((_, i) => once(i, `/warm-${i}`))), agents.map(() => 200));
      const [victim] = cluster.pids();
      const inFlight = agents.map((_, i) => once(i, `/slow-${i}`));
      await new Promise((r) => setTimeout(r, 150));
      process.kill(victim, 'SIGKILL');
      const results = await Promise.all(inFlight);
      const lost = results.flatMap((s, i) => (s === 200 ? [] : [i]));
      assert.ok(lost.length > 0 && lost.length < 16, `connections were spread over both workers (lost ${lost.length} of 16)`);
      for (const i of lost) assert.ok(closed.has(i), `request ${i} failed only because its own connection (to the killed worker) closed`);
      // The survivors' connections stay open and keep serving.
      const survivors = results.flatMap((s, i) => (s === 200 ? [i] : []));
      assert.deepEqual(await Promise.all(survivors.map((i) => once(i, `/after-${i}`))), survivors.map(() => 200));
      for (const i of survivors) assert.ok(!closed.has(i), `connection ${i} of the surviving worker was not dropped`);
      await until('a replacement worker', () => cluster.pids().length === 2 && !cluster.pids().includes(victim));
      await until('ready again', async () => (await get(cluster.adminPort, '/readyz')).status === 200);
      assert.match((await get(cluster.adminPort, '/metrics')).body, /^rauta_worker_restarts_total 1$/m);
      for (let i = 0; i < 40; i++) assert.equal((await get(cluster.httpPort, `/replaced-${i}`, { host: 'b.test' })).status, 200, 'the replacement has the current table');
      const perWorker = await cluster.workerMetrics();
      assert.equal(perWorker.length, 2);
      for (const w of perWorker) assert.ok(requestsIn(w.snapshots) > 0, `worker ${w.id} (pid ${w.pid}) serves`);
    } finally {
      for (const a of agents) a.destroy();
    }
  });
});
