import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { Reconciler } from '../src/control/reconciler.ts';
import { Balancer } from '../src/proxy/balance/balancer.ts';
import { CertificateStore } from '../src/proxy/tls/certificate-store.ts';
import { RouteState, SwapError } from '../src/routing/route-state.ts';
import { RouteTable } from '../src/routing/route-table.ts';
import type { Backend, Route } from '../src/routing/types.ts';
import { parseManifests } from '../src/sources/file/manifests.ts';
import { type ObjectSet, emptyObjectSet } from '../src/sources/object-set.ts';
import { DEFAULT_POLICY } from '../src/translate/annotations.ts';
import { makeCert, makeCertWith } from './support/certs.ts';
import { get, getJson } from './support/client.ts';
import { endpoint } from './support/endpoints.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { Pods, eventually, hit } from './support/pods.ts';
import { captureLogger } from './support/log-capture.ts';
import { CLASS_OPTIONS } from './support/translate.ts';

const silent = pino({ level: 'silent' });

function tableWith(ips: readonly string[], certificates: RouteTable['certificates'] = []): { table: RouteTable; route: Route } {
  const backend: Backend = { id: 'default/web:80', namespace: 'default', service: 'web', servicePort: '80', endpoints: ips.map((ip) => endpoint(ip, 80)) };
  const route: Route = { ingress: { namespace: 'default', name: 'web' }, host: 'web.test', path: '/', pathType: 'Prefix', backend, policy: DEFAULT_POLICY, tls: false };
  return { table: new RouteTable({ routes: [route], backends: [backend], diagnostics: [], certificates, ingresses: ['default/web'] }), route };
}

describe('swap - every participant prepares, then all commit; a refusal changes nothing', () => {
  it('a certificate the store cannot compile refuses the whole swap: table, selectors and certificates stay as they were', async () => {
    const routes = new RouteState(RouteTable.empty());
    const balancer = new Balancer();
    const good = makeCert(['web.test']);
    const store = new CertificateStore(makeCert(['startup.invalid']));
    routes.participate({ name: 'load balancing', prepare: ({ table }) => balancer.prepare(table) });
    routes.participate({ name: 'TLS certificates', prepare: ({ table }) => store.prepare(table) });

    const first = tableWith(['127.0.0.1', '127.0.0.2', '127.0.0.3'], [{ id: 'default/good', hosts: ['web.test'], ...good }]);
    routes.swap(first.table);
    const goodContext = store.contextFor('web.test');
    const pick = () => balancer.pick(first.route, { clientIp: '127.0.0.9', path: '/', headers: {} }, undefined)?.ip;
    assert.equal(pick(), '127.0.0.1');

    // Built by hand, past translation's checks: the store is the one that finds the weak key.
    const weak = await makeCertWith(['web.test'], { rsaBits: 1024 });
    const second = tableWith(['127.0.0.4'], [{ id: 'default/weak', hosts: ['web.test'], ...weak }]);
    assert.throws(() => routes.swap(second.table), (err: unknown) => {
      assert.ok(err instanceof SwapError);
      assert.equal(err.code, 'RAUTA_ERR_SWAP_FAILED');
      assert.equal(err.participant, 'TLS certificates');
      assert.equal(err.committed, false);
      assert.match(String((err.cause as NodeJS.ErrnoException).code), /ERR_SSL_EE_KEY_TOO_SMALL/);
      return true;
    });
    assert.equal(routes.table, first.table);
    assert.equal(store.contextFor('web.test'), goodContext);
    // The balancer prepared first but never committed: round robin goes on where it was, over the old pods.
    assert.deepEqual([pick(), pick(), pick()], ['127.0.0.2', '127.0.0.3', '127.0.0.1']);
    assert.equal(balancer.pick(second.route, { clientIp: '127.0.0.9', path: '/', headers: {} }, undefined)?.ip, '127.0.0.4', 'no selector was installed for the refused table (a fresh one is built on demand)');
  });

  it('the reconciler counts a refused swap, keeps the fingerprint unrecorded, and the same snapshot applies once the participant can prepare', () => {
    const routes = new RouteState(RouteTable.empty());
    let refuse = true;
    const committed: string[] = [];
    routes.participate({
      name: 'picky',
      prepare: (change) => {
        if (refuse) throw new Error('not today');
        return () => committed.push(change.fingerprint);
      },
    });
    const failures: string[] = [];
    const reconciler = new Reconciler(routes, { ...CLASS_OPTIONS, onFailure: (f) => failures.push(`${f.stage}:${f.code}`) }, silent);
    const objects = parseManifests([{ name: 'a.yaml', text: toYaml([ingressClass(), ingress('web', { rules: [{ host: 'web.test', paths: [{ path: '/', service: 'web' }] }] }), service('web')]) }]);

    assert.equal(reconciler.apply(objects), undefined);
    assert.deepEqual(failures, ['picky:RAUTA_ERR_SWAP_FAILED']);
    assert.equal(reconciler.lastFailure?.stage, 'picky');
    assert.match(reconciler.lastFailure?.message ?? '', /not today/);
    assert.equal(routes.applied, false);
    assert.equal(reconciler.current, undefined);

    refuse = false;
    const applied = reconciler.apply(objects);
    assert.ok(applied, 'the identical snapshot is retried, not skipped as unchanged');
    assert.deepEqual(committed, [applied.fingerprint]);
    assert.equal(routes.table, applied.table);
    assert.equal(reconciler.lastFailure, undefined);
    assert.equal(reconciler.failures, 1);
    assert.equal(reconciler.apply(objects), undefined, 'now unchanged');
    assert.deepEqual(committed, [applied.fingerprint]);
  });
});

describe('reconcile - apply never throws (it runs from debounce timers)', () => {
  it('a snapshot that breaks translation itself is a failure of stage "translate"; the table stays', () => {
    const routes = new RouteState(RouteTable.empty());
    const before = routes.table;
    const failures: string[] = [];
    const reconciler = new Reconciler(routes, { ...CLASS_OPTIONS, onFailure: (f) => failures.push(`${f.stage}:${f.code}`) }, silent);
    // Sources never emit this (their parsers reject it), which is the point: a translation bug must not escape.
    const broken = { ...emptyObjectSet, ingresses: [null] } as unknown as ObjectSet;
    assert.doesNotThrow(() => assert.equal(reconciler.apply(broken), undefined));
    assert.deepEqual(failures, ['translate:RAUTA_ERR_INTERNAL']);
    assert.equal(reconciler.lastFailure?.fingerprint, '');
    assert.equal(routes.table, before);
  });
});

describe('swap - a refused swap in a running RAUTA is logged, counted and shown in /routes, and later snapshots retry', () => {
  let pods: Pods;
  let rauta: RunningRauta;
  let refuse = false;
  const logs = captureLogger();
  const yaml = (hosts: readonly string[]) => toYaml([
    ingressClass(),
    ...hosts.map((h) => ingress(h, { rules: [{ host: `${h}.test`, paths: [{ path: '/', service: 'web' }] }] })),
    service('web'),
    endpointSlice('web', pods.port, pods.endpoints),
  ]);

  before(async () => {
    pods = await Pods.start('web', ['127.0.34.1']);
    rauta = await startStandalone(yaml(['old']), { RAUTA_CONFIG_DEBOUNCE_MS: '20' }, logs.logger);
    rauta.routes.participate({
      name: 'test participant',
      prepare: () => {
        if (refuse) throw new Error('refusing on purpose');
        return () => {};
      },
    });
  });
  after(async () => {
    await rauta?.stop();
    await pods?.close();
  });

  it('nothing changes while the swap is refused; /routes and rauta_config_reloads_total say so', async () => {
    const reloadFailures = async () => Number(/^rauta_config_reloads_total\{result="failure"\} (\d+)/m.exec((await get(rauta.adminPort, '/metrics')).body)?.[1]);
    const failuresBefore = await reloadFailures();
    const tableBefore = rauta.routes.table;
    refuse = true;
    await writeFile(rauta.manifestPath, yaml(['old', 'new']));
    type Routes = { ingresses: string[]; apply_failures: number; apply_failure: { stage: string; code: string; message: string; fingerprint?: string } | null };
    let routes: Routes | undefined;
    await eventually(async () => {
      routes = (await getJson<Routes>(rauta.adminPort, '/routes')).json;
      return routes.apply_failure !== null;
    }, 10_000, 'apply_failure in /routes');
    assert.equal(routes?.apply_failure?.stage, 'test participant');
    assert.equal(routes?.apply_failure?.code, 'RAUTA_ERR_SWAP_FAILED');
    assert.match(routes?.apply_failure?.message ?? '', /refusing on purpose/);
    assert.match(routes?.apply_failure?.fingerprint ?? '', /^[0-9a-f]{16}$/);
    assert.equal(routes?.apply_failures, 1);
    assert.deepEqual(routes?.ingresses, ['default/old']);
    assert.equal(rauta.routes.table, tableBefore);
    const logged = logs.lines().filter((l) => l.level === 50 && l.stage === 'test participant');
    assert.equal(logged.length, 1, 'one error line');
    assert.match(String(logged[0].msg), /not applied.*retries/);
    assert.equal(await reloadFailures(), failuresBefore + 1);
    assert.equal((await hit(rauta.httpPort, '/', { host: 'old.test' })).status, 200);
    assert.equal((await hit(rauta.httpPort, '/', { host: 'new.test' })).status, 404);
  });

  it('the next snapshot applies once the participant can prepare, and clears the failure', async () => {
    refuse = false;
    await rauta.update(`${yaml(['old', 'new'])}\n# touched\n`);
    const { json } = await getJson<{ ingresses: string[]; apply_failure: unknown; apply_failures: number }>(rauta.adminPort, '/routes');
    assert.deepEqual(json.ingresses, ['default/new', 'default/old']);
    assert.equal(json.apply_failure, null);
    assert.equal(json.apply_failures, 1);
    assert.equal((await hit(rauta.httpPort, '/', { host: 'new.test' })).status, 200);
  });
});
