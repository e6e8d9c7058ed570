import assert from 'node:assert/strict';
import { mkdir, mkdtemp, open, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { FileSource } from '../src/sources/file/file-source.ts';
import type { ObjectSet } from '../src/sources/object-set.ts';
import { get, getJson } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { captureLogger } from './support/log-capture.ts';
import { endpointSlice, ingress, ingressClass, routeYaml, service, toYaml } from './support/manifests.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` is true; returns the time it took, or throws after `limitMs`. */
async function within(limitMs: number, what: string, check: () => boolean | Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > limitMs) throw new Error(`${what}: not within ${limitMs} ms`);
    await sleep(10);
  }
  return Date.now() - started;
}

describe('file source - applies changes to the manifest file', () => {
  let echo: EchoServer;
  let rauta: RunningRauta;
  const log = captureLogger();
  const routeTo = (host: string) => routeYaml(host, [{ ip: echo.host, port: echo.port }]);
  const status = async (host: string) => (await get(rauta.httpPort, '/', { host })).status;

  before(async () => {
    echo = await startEcho({ namespace: 'default', ingress: 'web', service: 'web', pod: 'web-0' }, '127.0.0.13');
    rauta = await startStandalone(routeTo('one.test'), {}, log.logger);
  });
  after(async () => {
    await rauta.stop();
    await echo.close();
  });

  it('a rewrite in place applies within 1 s', async (t) => {
    assert.equal(await status('one.test'), 200);
    await writeFile(rauta.manifestPath, routeTo('two.test'));
    const took = await within(1000, 'rewrite in place', async () => (await status('two.test')) === 200);
    t.diagnostic(`applied after ${took} ms`);
    assert.equal(await status('one.test'), 404);
  });

  it('a replacement by rename applies within 1 s', async (t) => {
    const tmp = join(rauta.dir, '.manifests.yaml.swp');
    await writeFile(tmp, routeTo('three.test'));
    await rename(tmp, rauta.manifestPath);
    const took = await within(1000, 'replace by rename', async () => (await status('three.test')) === 200);
    t.diagnostic(`applied after ${took} ms`);
  });

  it('a YAML syntax error keeps the last good routes and logs file, document and line', async () => {
    const good = rauta.routes.table;
    await writeFile(rauta.manifestPath, `${routeTo('four.test')}---\nkind: Service\nmetadata: {name: x\n  bad: [\n`);
    await within(2000, 'error logged', () => log.lines().some((l) => l.msg === 'manifests rejected; keeping the last good routes'));
    const line = log.lines().find((l) => l.msg === 'manifests rejected; keeping the last good routes');
    const err = String(line?.err);
    assert.ok(err.includes(rauta.manifestPath), err);
    assert.match(err, /document 4 /); // 0-based: the fifth document
    assert.match(err, /line \d+:\d+/);
    assert.equal(rauta.routes.table, good);
    assert.equal(await status('three.test'), 200);
    assert.equal(await status('four.test'), 404);
  });

  it('an unresolvable YAML alias is a syntax error too, and later edits still apply', async () => {
    await writeFile(rauta.manifestPath, `${routeTo('five.test')}---\napiVersion: v1\nkind: Service\nmetadata: {name: *nowhere}\n`);
    await within(2000, 'alias error logged', () => log.lines().some((l) => String(l.err).includes('Unresolved alias')));
    assert.equal(await status('three.test'), 200);
    await writeFile(rauta.manifestPath, routeTo('six.test'));
    await within(2000, 'next good edit', async () => (await status('six.test')) === 200);
  });

  it('a bad document costs only itself: InvalidObject in /routes, the rest is served', async () => {
    const bad = toYaml([{ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'broken' }, spec: { rules: 'nope' } }]);
    await writeFile(rauta.manifestPath, `${routeTo('seven.test')}---\n${bad}`);
    await within(2000, 'good part applied', async () => (await status('seven.test')) === 200);
    const routes = await getJson<{ diagnostics: { ingress?: string; reason: string; message: string; field?: string }[] }>(rauta.adminPort, '/routes');
    const d = routes.json.diagnostics.find((x) => x.reason === 'InvalidObject');
    assert.ok(d, JSON.stringify(routes.json.diagnostics));
    assert.equal(d.ingress, 'default/broken');
    assert.equal(d.field, 'spec.rules');
    assert.match(d.message, /manifests\.yaml#4:/);
  });
});

describe('file source - a file rewritten in place is never read half-written', () => {
  it('truncate, pause, write: no empty snapshot is emitted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rauta-fs-'));
    const file = join(dir, 'm.yaml');
    const yaml = (host: string) => toYaml([ingressClass(), ingress('web', { rules: [{ host, paths: [{ path: '/', service: 'web' }] }] }), service('web')]);
    await writeFile(file, yaml('a.test'));
    const snapshots: ObjectSet[] = [];
    const source = new FileSource({ path: file, logger: pino({ level: 'silent' }), debounceMs: 30, maxDebounceMs: 200 });
    try {
      await source.start((o) => snapshots.push(o));
      for (const host of ['b.test', 'c.test', 'd.test']) {
        // A slow writer: the file stays empty for longer than one hold-off.
        const fh = await open(file, 'w');
        await sleep(45);
        await fh.writeFile(yaml(host));
        await fh.close();
        await sleep(150);
      }
      await within(2000, 'last write applied', () => snapshots.at(-1)?.ingresses[0]?.spec?.rules?.[0]?.host === 'd.test');
      const empty = snapshots.filter((s) => s.ingresses.length === 0);
      assert.equal(empty.length, 0, `${empty.length} empty snapshots of ${snapshots.length}`);
    } finally {
      await source.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('file source - a folder of manifest files', () => {
  let dir: string;
  let echo: EchoServer;
  let rauta: RunningRauta;
  before(async () => {
    echo = await startEcho({ namespace: 'default', ingress: 'web', service: 'web', pod: 'web-0' }, '127.0.0.14');
    dir = await mkdtemp(join(tmpdir(), 'rauta-folder-'));
    const manifests = join(dir, 'manifests');
    await mkdir(manifests);
    await writeFile(join(manifests, '00-class.yaml'), toYaml([ingressClass()]));
    await writeFile(join(manifests, '10-web.yml'), toYaml([
      ingress('web', { rules: [{ host: 'web.test', paths: [{ path: '/', service: 'web' }] }] }),
      service('web'),
    ]));
    await writeFile(join(manifests, '20-endpoints.json'), JSON.stringify(endpointSlice('web', echo.port, [{ ip: echo.host, pod: 'web-0' }])));
    await writeFile(join(manifests, 'README.txt'), 'not a manifest: ignored');
    await writeFile(join(manifests, '.hidden.yaml'), 'this: [is not: valid');
    rauta = await startStandalone('', { RAUTA_CONFIG: manifests });
  });
  after(async () => {
    await rauta.stop();
    await echo.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads every *.yaml, *.yml and *.json file, ignoring others and hidden ones', async () => {
    const res = await getJson<{ pod: string }>(rauta.httpPort, '/', { host: 'web.test' });
    assert.equal(res.status, 200);
    assert.equal(res.json.pod, 'web-0');
  });

  it('a file added to the folder applies within 1 s; a file removed, too', async () => {
    const extra = join(dir, 'manifests', '30-api.yaml');
    await writeFile(extra, toYaml([ingress('api', { rules: [{ host: 'api.test', paths: [{ path: '/', service: 'web' }] }] })]));
    await within(1000, 'added file', async () => (await get(rauta.httpPort, '/', { host: 'api.test' })).status === 200);
    await unlink(extra);
    await within(1000, 'removed file', async () => (await get(rauta.httpPort, '/', { host: 'api.test' })).status === 404);
    assert.equal((await get(rauta.httpPort, '/', { host: 'web.test' })).status, 200);
  });
});
