import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type NatsConnection, connect } from 'nats';
import type { AhtiBatch } from '../integrations/ahti/ahti-mapping.ts';
import { toAhti } from '../integrations/ahti/ahti-mapping.ts';
import { type GraphView, ServiceGraph } from '../integrations/ahti/graph.ts';
import { type RunningServiceGraph, startServiceGraph } from '../integrations/ahti/service-graph.ts';
import { getJson } from './support/client.ts';
import { assertValidEvent } from './support/event-schema.ts';
import { type PrivateNats, startPrivateNats } from './support/private-nats.ts';
import { sampleRequestEvent } from './support/sample-request-event.ts';

const edge = (g: GraphView, from: string, to: string) => {
  const e = g.edges.find((x) => x.from === from && x.to === to);
  assert.ok(e, `edge ${from} → ${to} in ${JSON.stringify(g.edges.map((x) => `${x.from} → ${x.to}`))}`);
  return e;
};

describe('integrations - service graph from request events', () => {
  it('builds client → ingress → service → pod with counts, error rates and percentiles', () => {
    const g = new ServiceGraph();
    for (const sample of [sampleRequestEvent(), sampleRequestEvent({ ingress: null, service: null, pod: null, status: 404 }), sampleRequestEvent({ pod: null, status: 503, errorCode: 'RAUTA_ERR_NO_ENDPOINTS' })]) {
      assertValidEvent('request', sample);
    }
    for (let i = 1; i <= 100; i++) g.add(sampleRequestEvent({ pod: 'web-a', durationMs: i, upstreamMs: i / 2 }));
    for (let i = 0; i < 4; i++) g.add(sampleRequestEvent({ pod: 'web-b', status: 502, errorCode: 'RAUTA_ERR_UPSTREAM_RESET' }));
    g.add(sampleRequestEvent({ ingress: null, service: null, pod: null, status: 404 }));
    g.add(sampleRequestEvent({ pod: null, status: 503, errorCode: 'RAUTA_ERR_NO_ENDPOINTS' }));
    const v = g.view();
    assert.equal(v.events, 106);
    assert.equal(v.unrouted, 1);
    assert.equal(v.cluster, 'test-cluster');
    const toIngress = edge(v, 'client:192.0.2.10', 'ingress:default/web');
    assert.equal(toIngress.requests, 105);
    assert.equal(toIngress.errors, 5);
    assert.equal(edge(v, 'ingress:default/web', 'service:default/web').requests, 105);
    const a = edge(v, 'service:default/web', 'pod:default/web-a');
    assert.deepEqual([a.requests, a.errors, a.error_rate, a.p50_ms, a.p99_ms], [100, 0, 0, 25, 49.5]);
    const b = edge(v, 'service:default/web', 'pod:default/web-b');
    assert.deepEqual([b.requests, b.errors, b.error_rate], [4, 4, 1]);
    assert.equal(v.edges.length, 4, 'the 503 without endpoints reaches no pod');
  });

  it('maps the graph onto AHTI entities and relationships', () => {
    const g = new ServiceGraph();
    g.add(sampleRequestEvent({ namespace: 'shop', ingress: 'front', service: 'cart', pod: 'cart-0' }));
    const batch = toAhti(g.view());
    assert.equal(batch.source, 'rauta');
    assert.deepEqual(batch.entities.map((e) => `${e.type} ${e.id}`).sort(),
      ['k8s.ingress shop/front', 'k8s.pod shop/cart-0', 'k8s.service shop/cart', 'network.client 192.0.2.10']);
    assert.ok(batch.entities.every((e) => e.cluster === 'test-cluster'));
    assert.deepEqual(batch.relationships.map((r) => `${r.source} ${r.type} ${r.target}`).sort(), [
      'k8s.ingress/shop/front routes_to k8s.service/shop/cart',
      'k8s.service/shop/cart served_by k8s.pod/shop/cart-0',
      'network.client/192.0.2.10 sends_to k8s.ingress/shop/front',
    ]);
  });
});

describe('integrations - service graph consumer on a real nats-server', () => {
  let nats: PrivateNats;
  let consumer: RunningServiceGraph;
  let pub: NatsConnection;
  before(async () => {
    nats = await startPrivateNats();
    consumer = await startServiceGraph({ natsUrl: nats.url, port: 0 });
    pub = await connect({ servers: nats.url });
  });
  after(async () => {
    await pub?.close();
    await consumer?.close();
    await nats?.stop();
  });

  it('subscribes to rauta.requests and serves the graph and the AHTI batch as JSON', async () => {
    const events = [
      ...Array.from({ length: 30 }, () => sampleRequestEvent({ namespace: 'shop', ingress: 'front', service: 'cart', pod: 'cart-0', clientIp: '198.51.100.7' })),
      ...Array.from({ length: 10 }, () => sampleRequestEvent({ namespace: 'shop', ingress: 'front', service: 'cart', pod: 'cart-1', clientIp: '198.51.100.7', status: 500 })),
      ...Array.from({ length: 5 }, () => sampleRequestEvent({ namespace: 'shop', ingress: 'front', service: 'search', pod: 'search-0', clientIp: '198.51.100.8' })),
    ];
    for (const e of events) {
      assertValidEvent('request', e);
      pub.publish('rauta.requests', JSON.stringify(e));
    }
    pub.publish('rauta.requests', 'not json');
    pub.publish('rauta.backends', JSON.stringify(sampleRequestEvent()));
    await pub.flush();

    const deadline = Date.now() + 5000;
    let graph = (await getJson<GraphView>(consumer.port, '/graph')).json;
    while (graph.events < events.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      graph = (await getJson<GraphView>(consumer.port, '/graph')).json;
    }
    assert.equal(graph.events, 45, 'only rauta.requests, only request events');
    assert.equal(consumer.skipped(), 1);
    const front = edge(graph, 'client:198.51.100.7', 'ingress:shop/front');
    assert.deepEqual([front.requests, front.errors], [40, 10]);
    assert.equal(front.error_rate, 0.25);
    assert.equal(edge(graph, 'client:198.51.100.8', 'ingress:shop/front').requests, 5);
    assert.deepEqual([edge(graph, 'ingress:shop/front', 'service:shop/cart').requests, edge(graph, 'ingress:shop/front', 'service:shop/search').requests], [40, 5]);
    assert.deepEqual([edge(graph, 'service:shop/cart', 'pod:shop/cart-0').errors, edge(graph, 'service:shop/cart', 'pod:shop/cart-1').errors], [0, 10]);
    assert.equal(graph.edges.length, 7);

    const ahti = (await getJson<AhtiBatch>(consumer.port, '/ahti')).json;
    assert.equal(ahti.relationships.length, 7);
    assert.equal(ahti.entities.filter((e) => e.type === 'k8s.pod').length, 3);
  });
});
