import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Balancer, type HealthView } from '../src/proxy/balance/balancer.ts';
import { LeastRequest } from '../src/proxy/balance/least-request.ts';
import { MaglevSelector } from '../src/proxy/balance/maglev.ts';
import { RoundRobin } from '../src/proxy/balance/round-robin.ts';
import { createSelectorFactory } from '../src/proxy/balance/selector-factory.ts';
import type { PickInput } from '../src/proxy/balance/selector.ts';
import { InFlight } from '../src/proxy/in-flight.ts';
import { RouteTable } from '../src/routing/route-table.ts';
import type { Backend, Endpoint, Route, RoutePolicy } from '../src/routing/types.ts';
import { DEFAULT_POLICY } from '../src/translate/annotations.ts';
import { endpoint, endpoints } from './support/endpoints.ts';

const input: PickInput = { clientIp: '10.1.1.1', path: '/', headers: {} };
const all = () => true;

function routeOf(eps: readonly Endpoint[], policy: RoutePolicy = DEFAULT_POLICY): Route {
  const backend: Backend = { id: 'default/web:80', namespace: 'default', service: 'web', servicePort: '80', endpoints: eps };
  return { ingress: { namespace: 'default', name: 'web' }, host: 'web.test', path: '/', pathType: 'Prefix', backend, policy, tls: false };
}

describe('least-request - power of two choices', () => {
  it('never picks the busier of two endpoints', () => {
    const inFlight = new InFlight();
    const eps = endpoints(2);
    for (let i = 0; i < 3; i++) inFlight.inc(eps[0].key);
    const lr = new LeastRequest(eps, inFlight);
    for (let i = 0; i < 200; i++) assert.equal(lr.pick(input, all)?.key, eps[1].key);
  });

  it('prefers idle endpoints among many, and spreads when all are idle', () => {
    const inFlight = new InFlight();
    const eps = endpoints(10);
    for (const e of eps.slice(0, 5)) inFlight.inc(e.key);
    const lr = new LeastRequest(eps, inFlight);
    const busy = new Set(eps.slice(0, 5).map((e) => e.key));
    let busyPicks = 0;
    for (let i = 0; i < 2000; i++) if (busy.has(lr.pick(input, all)!.key)) busyPicks++;
    // A busy endpoint wins only when both choices are busy: about (5/10 × 4/9) ≈ 22 % of the time.
    assert.ok(busyPicks / 2000 < 0.3, `busy share ${busyPicks / 2000}`);

    const idle = new LeastRequest(eps, new InFlight());
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) seen.add(idle.pick(input, all)!.key);
    assert.equal(seen.size, 10);
  });

  it('honours the usable predicate and returns the only usable endpoint', () => {
    const eps = endpoints(5);
    const lr = new LeastRequest(eps, new InFlight());
    for (let i = 0; i < 50; i++) assert.equal(lr.pick(input, (e) => e.key === eps[3].key)?.key, eps[3].key);
    assert.equal(lr.pick(input, () => false), undefined);
  });
});

describe('balance - selector factory and balancer', () => {
  it('chooses the selector by policy, over ready endpoints only', () => {
    const factory = createSelectorFactory({ inFlight: new InFlight(), maglevTableSize: 251 });
    const eps = [endpoint('10.0.0.1'), endpoint('10.0.0.2', 8080, { ready: false })];
    const backend = routeOf(eps).backend;
    assert.ok(factory(backend, DEFAULT_POLICY) instanceof RoundRobin);
    assert.ok(factory(backend, { ...DEFAULT_POLICY, loadBalance: 'least-request' }) instanceof LeastRequest);
    const maglev = factory(backend, { ...DEFAULT_POLICY, loadBalance: 'maglev', hashBy: { kind: 'client-ip' } });
    assert.ok(maglev instanceof MaglevSelector);
    for (let i = 0; i < 20; i++) {
      assert.equal(maglev.pick({ ...input, clientIp: `10.2.0.${i}` }, all)?.key, '10.0.0.1:8080');
    }
  });

  it('panic mode: when health ejects every endpoint, all of them are used', () => {
    const eps = endpoints(3);
    const route = routeOf(eps);
    const noneHealthy: HealthView = { isHealthy: () => false };
    const balancer = new Balancer(undefined, noneHealthy);
    balancer.useTable(new RouteTable({ routes: [route], backends: [route.backend], diagnostics: [], certificates: [], ingresses: [] }));
    const seen = new Set<string>();
    for (let i = 0; i < 9; i++) seen.add(balancer.pick(route, input, undefined)!.key);
    assert.equal(seen.size, 3);
  });

  it('skips unhealthy and already-tried endpoints while another is available', () => {
    const eps = endpoints(3);
    const route = routeOf(eps, { ...DEFAULT_POLICY, loadBalance: 'maglev', hashBy: { kind: 'client-ip' } });
    const health: HealthView = { isHealthy: (e) => e.key !== eps[0].key };
    const balancer = new Balancer(createSelectorFactory({ inFlight: new InFlight(), maglevTableSize: 251 }), health);
    balancer.useTable(new RouteTable({ routes: [route], backends: [route.backend], diagnostics: [], certificates: [], ingresses: [] }));
    for (let i = 0; i < 30; i++) {
      const k = { ...input, clientIp: `10.3.0.${i}` };
      const first = balancer.pick(route, k, undefined)!;
      assert.notEqual(first.key, eps[0].key);
      const second = balancer.pick(route, k, new Set([first.key]))!;
      assert.notEqual(second.key, first.key);
      assert.notEqual(second.key, eps[0].key);
      // Both others tried: health is given up before "never the same endpoint twice".
      assert.equal(balancer.pick(route, k, new Set([first.key, second.key]))!.key, eps[0].key);
    }
  });
});
