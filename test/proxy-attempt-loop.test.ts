import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runAttempts } from '../src/proxy/attempt-loop.ts';
import { ErrorKinds, ProxyError } from '../src/proxy/errors.ts';
import type { AttemptResult } from '../src/proxy/forward.ts';
import { InFlight } from '../src/proxy/in-flight.ts';
import { newRecord, noopObserver } from '../src/proxy/request-record.ts';
import type { Endpoint } from '../src/routing/types.ts';

const ep = (n: number): Endpoint => ({ key: `127.0.0.${n}:80`, ip: `127.0.0.${n}`, port: 80, ready: true, terminating: false }) as Endpoint;
const eps = [ep(41), ep(42), ep(43)];
const pickFrom = (tried: ReadonlySet<string> | undefined) => eps.find((e) => !tried?.has(e.key));
const ok: AttemptResult = { error: undefined, responded: true, bodySent: false, statusCode: 200 };
const reset: AttemptResult = { error: new ProxyError(ErrorKinds.upstreamReset, 'reset'), responded: false, bodySent: false, statusCode: undefined };

describe('proxy - the shared attempt loop', () => {
  it('releases the in-flight count when a forward function throws, and lets the error through', async () => {
    const inFlight = new InFlight();
    const rec = newRecord(Date.now(), performance.now());
    await assert.rejects(runAttempts({ inFlight, observer: noopObserver }, rec, {
      maxAttempts: 3, retryBudgetMs: undefined, idempotent: true, pick: pickFrom,
      forward: async () => { throw new Error('bug in a forward function'); },
    }, () => new ProxyError(ErrorKinds.noEndpoints, 'none')), /bug in a forward function/);
    assert.equal(inFlight.get(eps[0].key), 0);
    assert.ok(rec.upstreamDurationMs !== undefined);
  });

  it('counts each attempt in flight only while it runs, and reports every outcome to health', async () => {
    const inFlight = new InFlight();
    const seen: [string, string | undefined][] = [];
    const rec = newRecord(Date.now(), performance.now());
    const results = [reset, reset, ok];
    const err = await runAttempts({ inFlight, observer: noopObserver, health: { attemptFinished: (e, error) => seen.push([e.key, error?.code]) } }, rec, {
      maxAttempts: 3, retryBudgetMs: undefined, idempotent: true, pick: pickFrom,
      forward: async (e) => {
        assert.equal(inFlight.get(e.key), 1);
        return results.shift() as AttemptResult;
      },
    }, () => new ProxyError(ErrorKinds.noEndpoints, 'none'));
    assert.equal(err, undefined);
    assert.equal(rec.attempts, 3);
    assert.deepEqual(seen, [[eps[0].key, 'RAUTA_ERR_UPSTREAM_RESET'], [eps[1].key, 'RAUTA_ERR_UPSTREAM_RESET'], [eps[2].key, undefined]]);
    for (const e of eps) assert.equal(inFlight.get(e.key), 0);
  });

  it('a reset is not retried for a non-idempotent request, nor once the retry budget is spent', async () => {
    const rec = newRecord(Date.now(), performance.now());
    const once = await runAttempts({ inFlight: new InFlight(), observer: noopObserver }, rec, {
      maxAttempts: 3, retryBudgetMs: undefined, idempotent: false, pick: pickFrom, forward: async () => reset,
    }, () => new ProxyError(ErrorKinds.noEndpoints, 'none'));
    assert.equal(once?.code, 'RAUTA_ERR_UPSTREAM_RESET');
    assert.equal(rec.attempts, 1);
    const rec2 = newRecord(Date.now(), performance.now());
    const refused = { ...reset, error: new ProxyError(ErrorKinds.upstreamConnect, 'refused') };
    await runAttempts({ inFlight: new InFlight(), observer: noopObserver }, rec2, {
      maxAttempts: 3, retryBudgetMs: 5, idempotent: true, pick: pickFrom,
      forward: async () => { await new Promise((r) => setTimeout(r, 20)); return refused; },
    }, () => new ProxyError(ErrorKinds.noEndpoints, 'none'));
    assert.equal(rec2.attempts, 1);
  });
});
