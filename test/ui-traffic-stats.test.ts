import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

// The browser module that computes the traffic charts has no DOM work at import time, so its numbers
// are checked here directly, without a browser.
interface Point { at?: number; rps: number; eps?: number; errorRatio: number; p50: number | undefined; p99: number | undefined }
interface Stats {
  add(service: string, event: unknown): void;
  prune(now?: number): void;
  points(service: string, now?: number, windowMs?: number): Point[];
  recent(service: string, ms?: number, now?: number): Point & { count: number; errors: number };
  services(): string[];
}
interface ChartsModule { TrafficStats: new () => Stats; BUCKET_MS: number; WINDOW_MS: number; ALL: string }

const charts = (await import(new URL('../src/admin/ui/charts.js', import.meta.url).href)) as ChartsModule;

function event(at: number, status: number, durationMs: number) {
  // As RAUTA sets it: a 404 without a route, or a 499 client abort, is a "failure" outcome as well.
  return { timestamp: new Date(at).toISOString(), outcome: status >= 400 ? 'failure' : 'success', data: { status_code: status, duration_ms: durationMs } };
}

describe('web UI - traffic stats computed from the event feed', () => {
  const { TrafficStats, BUCKET_MS, WINDOW_MS, ALL } = charts;
  // A fixed "now" on a bucket boundary plus half a bucket, so the current bucket is half elapsed.
  const now = Math.floor(Date.now() / BUCKET_MS) * BUCKET_MS + BUCKET_MS / 2;

  it('counts requests per second, the 5xx share and latency percentiles per bucket and service', () => {
    const stats = new TrafficStats();
    const previous = now - BUCKET_MS;
    for (let i = 1; i <= 100; i++) stats.add('default/web', event(previous + 10, i <= 5 ? 503 : 200, i));
    stats.add('default/api', event(previous + 20, 200, 7));
    const points = stats.points('default/web', now);
    assert.equal(points.length, WINDOW_MS / BUCKET_MS);
    const full = points.at(-2)!;
    assert.equal(full.rps, 100 / (BUCKET_MS / 1000));
    assert.equal(full.errorRatio, 0.05);
    assert.equal(full.p50, 50);
    assert.equal(full.p99, 99);
    assert.equal(full.eps, 5 / (BUCKET_MS / 1000));
    assert.equal(full.at, Math.floor(now / BUCKET_MS) * BUCKET_MS - BUCKET_MS);
    assert.deepEqual(points.at(-1), { at: Math.floor(now / BUCKET_MS) * BUCKET_MS, rps: 0, eps: 0, errorRatio: 0, p50: undefined, p99: undefined });
    assert.equal(stats.points(ALL, now).at(-2)!.rps, 101 / (BUCKET_MS / 1000));
    assert.deepEqual(stats.services(), [ALL, 'default/web', 'default/api']);
  });

  it('scales the rate of the bucket still filling, and 4xx (outcome failure) are not 5xx errors', () => {
    const stats = new TrafficStats();
    const current = now - BUCKET_MS / 2;
    for (let i = 0; i < 10; i++) stats.add('s', event(current + i, 404, 1));
    const last = stats.points('s', now).at(-1)!;
    assert.equal(last.rps, 10 / (BUCKET_MS / 2 / 1000));
    assert.equal(last.errorRatio, 0);
  });

  it('forgets what left the window', () => {
    const stats = new TrafficStats();
    stats.add('old', event(now - WINDOW_MS + BUCKET_MS, 200, 1));
    stats.add('ancient', event(now - 2 * WINDOW_MS, 200, 1));
    assert.deepEqual(stats.services(), [ALL, 'old']);
    stats.prune(now + WINDOW_MS);
    assert.deepEqual(stats.services(), []);
  });

  it('keeps percentiles bounded in memory under heavy traffic', () => {
    const stats = new TrafficStats();
    for (let i = 0; i < 20_000; i++) stats.add('busy', event(now - BUCKET_MS + 1, 200, i % 100));
    const p = stats.points('busy', now).at(-2)!;
    assert.equal(p.rps, 20_000 / (BUCKET_MS / 1000));
    assert.ok(p.p50 !== undefined && p.p50 > 30 && p.p50 < 70, `sampled p50 ${p.p50}`);
    assert.ok(p.p99 !== undefined && p.p99 >= 90, `sampled p99 ${p.p99}`);
  });

  it('headline numbers cover the whole 1- or 5-minute window: a service that failed 40 s ago does not read 0 %', () => {
    const stats = new TrafficStats();
    for (let i = 0; i < 20; i++) stats.add('default/api', event(now - 40_000 + i, 503, 30));
    for (let i = 0; i < 5; i++) stats.add('default/api', event(now - 1_000 + i, 200, 10));
    const minute = stats.recent('default/api', 60_000, now);
    assert.equal(minute.count, 25);
    assert.equal(minute.errors, 20);
    assert.equal(minute.errorRatio, 0.8);
    assert.equal(minute.p99, 30);
    const five = stats.recent('default/api', 5 * 60_000, now);
    assert.equal(five.count, 25);
    // The charts' points follow the chosen window: 12 buckets for a minute, 60 for five.
    assert.equal(stats.points('default/api', now, 60_000).length, 60_000 / BUCKET_MS);
    assert.equal(stats.points('default/api', now, 5 * 60_000).length, 5 * 60_000 / BUCKET_MS);
    assert.equal(stats.points('default/api', now, 60_000).reduce((n, p) => n + (p.eps ?? 0), 0) > 0, true);
  });
});
