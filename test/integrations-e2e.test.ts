import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type NatsConnection, connect } from 'nats';
import type { GraphView } from '../integrations/ahti/graph.ts';
import { type RunningServiceGraph, startServiceGraph } from '../integrations/ahti/service-graph.ts';
import { ensureStream, loadStreamConfig } from '../integrations/nats/create-stream.ts';
import { addObservationSubject } from '../integrations/tapio/observations-subject.ts';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { get, getJson } from './support/client.ts';
import { assertValidEvent } from './support/event-schema.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { type PrivateNats, startPrivateNats } from './support/private-nats.ts';

// The whole path with nothing faked: client → RAUTA (in-process) → pods; RAUTA → real nats-server →
// the JetStream streams of integrations/nats and integrations/tapio, and the AHTI service-graph consumer.

const WEB = 20;
const DOWN = 5;
const UNROUTED = 3;

async function closedPort(host: string): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, host, r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function until(what: string, pred: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('integrations - end to end: a running RAUTA feeds NATS, JetStream and the service graph', () => {
  let nats: PrivateNats;
  let nc: NatsConnection;
  let graph: RunningServiceGraph;
  let pods: EchoServer[] = [];
  let rauta: RunningRauta;

  before(async () => {
    nats = await startPrivateNats();
    nc = await connect({ servers: nats.url });
    const jsm = await nc.jetstreamManager();
    await ensureStream(jsm, loadStreamConfig());
    await jsm.streams.add({ name: 'OBSERVATIONS', subjects: ['observations.kernel'] });
    await addObservationSubject(jsm);
    graph = await startServiceGraph({ natsUrl: nats.url, port: 0 });

    const first = await startEcho({ namespace: 'default', ingress: 'shop', service: 'web', pod: 'web-0' }, '127.0.0.21');
    pods = [first, await startEcho({ namespace: 'default', ingress: 'shop', service: 'web', pod: 'web-1' }, '127.0.0.22', first.port)];
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('shop', { rules: [{ host: 'shop.test', paths: [{ path: '/', service: 'web' }, { path: '/down', service: 'down' }] }] }),
      service('web'),
      endpointSlice('web', first.port, [{ ip: '127.0.0.21', pod: 'web-0' }, { ip: '127.0.0.22', pod: 'web-1' }]),
      service('down'),
      endpointSlice('down', await closedPort('127.0.0.23'), [{ ip: '127.0.0.23', pod: 'down-0' }]),
    ]), { NATS_URL: nats.url, RAUTA_NATS_MIRROR_SUBJECT: 'observations.rauta', RAUTA_CLUSTER_NAME: 'e2e', NODE_NAME: 'node-e2e' });
  });
  after(async () => {
    await rauta?.stop();
    for (const p of pods) await p.close();
    await graph?.close();
    await nc?.close();
    await nats?.stop();
  });

  it('requests through RAUTA become the right edges, counts and errors in the service graph', async () => {
    for (let i = 0; i < WEB; i++) assert.equal((await get(rauta.httpPort, `/item/${i}`, { host: 'shop.test' })).status, 200);
    for (let i = 0; i < DOWN; i++) assert.equal((await get(rauta.httpPort, '/down', { host: 'shop.test' })).status, 502);
    for (let i = 0; i < UNROUTED; i++) assert.equal((await get(rauta.httpPort, '/', { host: 'nobody.test' })).status, 404);

    let view: GraphView | undefined;
    await until('the service graph saw every request', async () => {
      view = (await getJson<GraphView>(graph.port, '/graph')).json;
      return view.events >= WEB + DOWN + UNROUTED;
    });
    const v = view!;
    assert.equal(v.events, WEB + DOWN + UNROUTED, 'one event per request, no more');
    assert.equal(v.unrouted, UNROUTED);
    assert.equal(v.cluster, 'e2e');
    const edge = (from: string, to: string) => v.edges.find((e) => e.from === from && e.to === to) ?? assert.fail(`${from} → ${to} in ${JSON.stringify(v.edges)}`);
    const front = edge('client:127.0.0.1', 'ingress:default/shop');
    assert.deepEqual([front.requests, front.errors], [WEB + DOWN, DOWN]);
    assert.deepEqual([edge('ingress:default/shop', 'service:default/web').requests, edge('ingress:default/shop', 'service:default/web').errors], [WEB, 0]);
    assert.deepEqual([edge('ingress:default/shop', 'service:default/down').requests, edge('ingress:default/shop', 'service:default/down').errors], [DOWN, DOWN]);
    const toPods = ['web-0', 'web-1'].map((p) => edge('service:default/web', `pod:default/${p}`).requests);
    assert.equal(toPods[0] + toPods[1], WEB);
    assert.ok(toPods.every((n) => n > 0), `both pods served: ${toPods}`);
    assert.equal(edge('service:default/down', 'pod:default/down-0').error_rate, 1);
    assert.equal(v.edges.length, 6);
    assert.ok(front.p99_ms >= front.p50_ms && front.p50_ms > 0);
    assert.equal(graph.skipped(), 0, 'every message on rauta.requests was a request event');
  });

  it('the RAUTA stream keeps every request event, and TAPIO\'s OBSERVATIONS stream gets the mirror', async () => {
    const jsm = await nc.jetstreamManager();
    const total = WEB + DOWN + UNROUTED;
    const count = async (stream: string, subject: string) =>
      (await jsm.streams.info(stream, { subjects_filter: subject })).state.subjects?.[subject] ?? 0;
    await until('both streams hold every event', async () => (await count('RAUTA', 'rauta.requests')) >= total && (await count('OBSERVATIONS', 'observations.rauta')) >= total);
    assert.equal(await count('RAUTA', 'rauta.requests'), total);
    assert.equal(await count('OBSERVATIONS', 'observations.rauta'), total);
    const last = (await jsm.streams.getMessage('RAUTA', { last_by_subj: 'rauta.requests' })).json<unknown>();
    assertValidEvent('request', last);
    const mirrored = (await jsm.streams.getMessage('OBSERVATIONS', { last_by_subj: 'observations.rauta' })).json<{ id: string }>();
    assert.equal(mirrored.id, (last as { id: string }).id, 'the mirror carries the same event');
  });
});
