import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeKubeconfig } from './support/fake-apiserver/kubeconfig.ts';
import { FakeApiServer } from './support/fake-apiserver/server.ts';
import type { KubeObject } from './support/fake-apiserver/store.ts';
import { type RunningKubeRauta, kubeEnv, startKubeRauta, waitFor } from './support/kube-harness.ts';
import { endpointSlice, ingress, ingressClass, service } from './support/manifests.ts';

const ING = 'networking.k8s.io/v1';
// Longer than the other tests' 2 s: a loaded CI machine must not stall the leader past its renew deadline.
const LEASE_SECONDS = 3;
const TIMINGS = { RAUTA_LEASE_DURATION_SECONDS: String(LEASE_SECONDS), RAUTA_LEASE_RENEW_DEADLINE_SECONDS: '2.5', RAUTA_LEASE_RETRY_PERIOD_SECONDS: '0.25' };
const holder = (api: FakeApiServer) => (api.get('coordination.k8s.io/v1', 'Lease', 'default', 'rauta-leader')?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;
const hasStatus = (o: KubeObject | undefined) => ((o?.status as { loadBalancer?: { ingress?: unknown[] } } | undefined)?.loadBalancer?.ingress?.length ?? 0) > 0;
/** Writes only the leader may make: Ingress status and Events. */
const leaderWrites = (api: FakeApiServer, from: number) =>
  api.requests.slice(from).filter((r) => r.method !== 'GET' && (r.path.endsWith('/status') || r.path.includes('/events')));

describe('kubernetes - two replicas share one Lease; only the leader writes', () => {
  let api: FakeApiServer;
  let dir: string;
  let child: ChildProcess | undefined;
  let follower: RunningKubeRauta;

  before(async () => {
    api = await FakeApiServer.start();
    for (const o of [
      ingressClass(),
      ingress('one', { rules: [{ host: 'one.test', paths: [{ path: '/', service: 'web' }] }] }),
      service('web'),
      endpointSlice('web', 8080, [{ ip: '127.0.0.9' }]),
    ]) api.put(o);
    dir = await mkdtemp(join(tmpdir(), 'rauta-leader-'));
    // The first replica is a real process, so "killing the leader" is a SIGKILL: no lease release.
    const kubeconfig = await writeKubeconfig(join(dir, 'kubeconfig'), api.url, { token: 'replica-a' });
    child = spawn(process.execPath, ['src/cli.ts'], {
      cwd: join(import.meta.dirname, '..'),
      env: { ...process.env, ...kubeEnv(kubeconfig, { ...TIMINGS, POD_NAME: 'replica-a', RAUTA_PUBLISH_STATUS_ADDRESS: '10.1.1.1', RAUTA_LOG_LEVEL: 'warn' }) },
      stdio: 'ignore',
    });
    await waitFor(() => holder(api) === 'replica-a', 15_000, 'replica-a to lead');
    await waitFor(() => hasStatus(api.get(ING, 'Ingress', 'default', 'one')), 10_000, 'status written by replica-a');
    follower = await startKubeRauta(api, { ...TIMINGS, POD_NAME: 'replica-b', RAUTA_PUBLISH_STATUS_ADDRESS: '10.1.1.1' });
  });
  after(async () => {
    child?.kill('SIGKILL');
    // A `before` that timed out left no follower: close what exists, or the file hangs until its timeout.
    await (follower as RunningKubeRauta | undefined)?.stop();
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the follower routes but writes nothing while the leader holds the Lease', async () => {
    const from = api.requests.length;
    api.put(ingress('two', { rules: [{ host: 'two.test', paths: [{ path: '/', service: 'web' }] }] }));
    api.put(ingress('bad', { rules: [{ host: 'bad.test', paths: [{ path: '/', service: 'nope' }] }] }));
    await follower.waitForTable((t) => t.ingresses.includes('default/two'), 10_000, 'follower routes two');
    await waitFor(() => hasStatus(api.get(ING, 'Ingress', 'default', 'two')), 10_000, 'status of two');
    await waitFor(() => api.list('events.k8s.io/v1', 'Event').length === 1, 10_000, 'the Event for bad');
    await new Promise((r) => setTimeout(r, 500));
    const writes = leaderWrites(api, from);
    assert.ok(writes.length >= 2);
    assert.deepEqual([...new Set(writes.map((w) => w.user))], ['replica-a']);
    assert.equal(holder(api), 'replica-a');
  });

  it('when the leader is killed, the other replica takes over within the lease time and writes', async () => {
    const killedAt = Date.now();
    child?.kill('SIGKILL');
    child = undefined;
    await waitFor(() => holder(api) === 'replica-b', 10_000, 'replica-b to take the Lease');
    const tookMs = Date.now() - killedAt;
    // The Lease may be taken LEASE_SECONDS after the follower last saw it renewed, plus one retry period.
    assert.ok(tookMs < LEASE_SECONDS * 1000 + 1500, `took over after ${tookMs} ms`);
    const spec = api.get('coordination.k8s.io/v1', 'Lease', 'default', 'rauta-leader')?.spec as { leaseDurationSeconds?: number; leaseTransitions?: number };
    assert.equal(spec.leaseDurationSeconds, LEASE_SECONDS);
    assert.equal(spec.leaseTransitions, 1, 'one hand-over: replica-a to replica-b');
    const from = api.requests.length;
    api.put(ingress('three', { rules: [{ host: 'three.test', paths: [{ path: '/', service: 'web' }] }] }));
    await waitFor(() => hasStatus(api.get(ING, 'Ingress', 'default', 'three')), 10_000, 'status of three by replica-b');
    assert.deepEqual([...new Set(leaderWrites(api, from).map((w) => w.user))], ['replica-b']);
    assert.equal(api.list('events.k8s.io/v1', 'Event').length, 1, 'the new leader does not repeat the Event');
  });

  it('a leader that sees another holder stops writing at once', async () => {
    const lease = api.get('coordination.k8s.io/v1', 'Lease', 'default', 'rauta-leader')!;
    api.put({ ...lease, spec: { ...(lease.spec as object), holderIdentity: 'intruder', renewTime: new Date().toISOString(), leaseDurationSeconds: 60 } });
    await new Promise((r) => setTimeout(r, 600)); // a couple of retry periods
    const from = api.requests.length;
    api.put(ingress('four', { rules: [{ host: 'four.test', paths: [{ path: '/', service: 'web' }] }] }));
    await follower.waitForTable((t) => t.ingresses.includes('default/four'), 10_000, 'four routed');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(leaderWrites(api, from).length, 0);
    assert.equal(hasStatus(api.get(ING, 'Ingress', 'default', 'four')), false);
    assert.equal(holder(api), 'intruder');
  });
});
