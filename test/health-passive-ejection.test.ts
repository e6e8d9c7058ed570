import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config/load.ts';
import { BackendHealth } from '../src/proxy/health/backend-health.ts';
import type { HealthChangeEvent } from '../src/proxy/health/types.ts';
import { ErrorKinds, ProxyError } from '../src/proxy/errors.ts';
import { RouteTable } from '../src/routing/route-table.ts';
import type { Backend, Endpoint } from '../src/routing/types.ts';
import { endpoints } from './support/endpoints.ts';

function tableOf(eps: readonly Endpoint[]): RouteTable {
  const backend: Backend = { id: 'shop/cart:80', namespace: 'shop', service: 'cart', servicePort: '80', endpoints: eps };
  return new RouteTable({ routes: [], backends: [backend], diagnostics: [], certificates: [], ingresses: [] });
}

function setup(n: number, opts: { threshold?: number; pct?: number } = {}) {
  let now = 1_000_000;
  const health = new BackendHealth({
    failureThreshold: opts.threshold ?? 5,
    baseEjectionMs: 30_000,
    maxEjectionMs: 300_000,
    maxEjectionPercent: opts.pct ?? 50,
    probeConcurrency: 4,
    now: () => now,
  });
  const eps = endpoints(n).map((e, i) => ({ ...e, pod: `cart-${i}` }));
  health.useTable(tableOf(eps));
  const events: HealthChangeEvent[] = [];
  health.onChange((e) => events.push(e));
  const refused = new ProxyError(ErrorKinds.upstreamConnect, 'connect failed: ECONNREFUSED');
  return {
    health, eps, events,
    advance(ms: number) { now += ms; },
    fail(e: Endpoint, times: number) { for (let i = 0; i < times; i++) health.attemptFinished(e, refused, undefined); },
  };
}

describe('health - passive outlier detection', () => {
  it('ejects after 5 consecutive failures, returns after the base time, with typed events', (t) => {
    const s = setup(4);
    t.after(() => s.health.stop());
    const [a] = s.eps;
    s.fail(a, 4);
    assert.equal(s.health.isHealthy(a), true);
    assert.equal(s.health.status(a.key).consecutiveFailures, 4);
    s.fail(a, 1);
    assert.equal(s.health.isHealthy(a), false);
    assert.equal(s.health.state(a.key), 'ejected');
    assert.equal(s.health.status(a.key).ejectedUntil, 1_000_000 + 30_000);
    assert.equal(s.events.length, 1);
    assert.deepEqual({ ...s.events[0], at: '' }, {
      endpoint: a.key, namespace: 'shop', service: 'cart', pod: 'cart-0', oldState: 'healthy', newState: 'ejected',
      reason: '5 consecutive failures (last: RAUTA_ERR_UPSTREAM_CONNECT); ejected for 30.0 s', at: '',
    });

    s.advance(30_000);
    assert.equal(s.health.isHealthy(a), true);
    // The timer would run the sweep; with a fake clock the test runs it.
    s.health.sweep();
    assert.equal(s.events.length, 2);
    assert.equal(s.events[1].newState, 'healthy');
    assert.equal(s.events[1].reason, 'ejection time over');
    assert.deepEqual(s.health.counts(), { 'healthy->ejected': 1, 'ejected->healthy': 1 });
  });

  it('a success resets the count; 5xx and resets count as failures; client aborts do not', (t) => {
    const s = setup(4);
    t.after(() => s.health.stop());
    const [a] = s.eps;
    s.fail(a, 4);
    s.health.attemptFinished(a, undefined, 200);
    assert.equal(s.health.status(a.key).consecutiveFailures, 0);
    for (let i = 0; i < 2; i++) s.health.attemptFinished(a, undefined, 503);
    s.health.attemptFinished(a, new ProxyError(ErrorKinds.upstreamReset, 'reset'), undefined);
    s.health.attemptFinished(a, new ProxyError(ErrorKinds.clientAborted, 'gone'), undefined);
    assert.equal(s.health.status(a.key).consecutiveFailures, 3);
    s.health.attemptFinished(a, undefined, 500);
    s.health.attemptFinished(a, undefined, 502);
    assert.equal(s.health.state(a.key), 'ejected');
  });

  it('repeated ejection lasts longer (base × recent ejections), capped', (t) => {
    const s = setup(4);
    t.after(() => s.health.stop());
    const [a] = s.eps;
    const sweep = () => s.health.sweep();
    s.fail(a, 5);
    s.advance(30_000);
    sweep();
    s.fail(a, 5);
    assert.equal(s.health.status(a.key).ejectedUntil, 1_030_000 + 60_000);
    s.advance(60_000);
    sweep();
    s.fail(a, 5);
    assert.equal(s.health.status(a.key).ejectedUntil, 1_090_000 + 90_000);
  });

  it('never ejects more than 50 % of a service (one always may be)', (t) => {
    const s = setup(4);
    t.after(() => s.health.stop());
    for (const e of s.eps) s.fail(e, 10);
    assert.deepEqual(s.eps.map((e) => s.health.state(e.key)), ['ejected', 'ejected', 'healthy', 'healthy']);

    const three = setup(3);
    t.after(() => three.health.stop());
    for (const e of three.eps) three.fail(e, 10);
    assert.equal(three.eps.filter((e) => three.health.state(e.key) === 'ejected').length, 1);

    const one = setup(1);
    t.after(() => one.health.stop());
    one.fail(one.eps[0], 5);
    assert.equal(one.health.state(one.eps[0].key), 'ejected');
  });

  it('threshold 0 or max percent 0 turns ejection off', (t) => {
    const off = setup(4, { threshold: 0 });
    const none = setup(4, { pct: 0 });
    t.after(() => { off.health.stop(); none.health.stop(); });
    off.fail(off.eps[0], 50);
    none.fail(none.eps[0], 50);
    assert.equal(off.health.state(off.eps[0].key), 'healthy');
    assert.equal(none.health.state(none.eps[0].key), 'healthy');
  });

  it('forgets endpoints that leave the table', (t) => {
    const s = setup(4);
    t.after(() => s.health.stop());
    s.fail(s.eps[0], 5);
    s.health.useTable(tableOf(s.eps.slice(1)));
    assert.equal(s.health.state(s.eps[0].key), 'healthy');
    assert.equal(s.health.status(s.eps[0].key).consecutiveFailures, 0);
  });
});

describe('health - settings', () => {
  it('has the documented defaults and rejects bad values', () => {
    const { config } = loadConfig([], {});
    assert.deepEqual(
      [config.passiveFailureThreshold, config.ejectionBaseSeconds, config.maxEjectionSeconds, config.maxEjectionPercent, config.healthCheckConcurrency, config.retryBudgetSeconds],
      [5, 30, 300, 50, 32, 10],
    );
    assert.equal(loadConfig(['--max-ejection-percent', '100'], {}).config.maxEjectionPercent, 100);
    assert.throws(() => loadConfig([], { RAUTA_MAX_EJECTION_PERCENT: '150', RAUTA_PASSIVE_FAILURE_THRESHOLD: 'x' }), (err: Error) =>
      /RAUTA_MAX_EJECTION_PERCENT/.test(err.message) && /RAUTA_PASSIVE_FAILURE_THRESHOLD/.test(err.message));
  });
});
