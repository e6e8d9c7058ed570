// Traffic numbers: per-key time buckets (5 s) filled from the live feed — per service, per route and per
// endpoint — and read back over the last 1 or 5 minutes. Pure computation (no DOM), so it is tested
// without a browser; plots.js draws them.
export const BUCKET_MS = 5_000;
export const WINDOW_MS = 5 * 60_000;
const BUCKETS = WINDOW_MS / BUCKET_MS;
/** Durations kept per bucket for percentiles; beyond this a reservoir sample keeps them unbiased. */
const SAMPLE = 500;
const MAX_SERVICES = 8;
export const ALL = 'all services';

class Bucket {
  count = 0;
  errors = 0;
  /** @type {number[]} */
  durations = [];

  add(durationMs, isError) {
    this.count++;
    if (isError) this.errors++;
    if (typeof durationMs !== 'number') return;
    if (this.durations.length < SAMPLE) this.durations.push(durationMs);
    else {
      const j = Math.floor(Math.random() * this.count);
      if (j < SAMPLE) this.durations[j] = durationMs;
    }
  }
}

function quantile(sorted, q) {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * The error ratio is the share of 5xx: what the service (or RAUTA in front of it) got wrong. A 404 for an
 * unknown host or a 499 client abort has outcome "failure" too, but is not the backend's error.
 */
export function isErrorEvent(event) {
  const s = event?.data?.status_code;
  if (typeof s === 'number' && s > 0) return s >= 500;
  return event?.outcome === 'failure' || event?.outcome === 'timeout';
}

export class TrafficStats {
  /** @type {Map<string, Map<number, Bucket>>} service → bucket index → bucket */
  series = new Map();

  add(service, event) {
    const t = Date.parse(event.timestamp);
    const at = Number.isFinite(t) ? t : Date.now();
    const idx = Math.floor(at / BUCKET_MS);
    if (idx < Math.floor((Date.now() - WINDOW_MS) / BUCKET_MS)) return;
    for (const key of [ALL, service]) {
      if (!this.series.has(key)) this.series.set(key, new Map());
      const buckets = this.series.get(key);
      if (!buckets.has(idx)) buckets.set(idx, new Bucket());
      buckets.get(idx).add(event.data?.duration_ms, isErrorEvent(event));
    }
  }

  /** Drops buckets that left the window and services that went quiet. */
  prune(now = Date.now()) {
    const oldest = Math.floor((now - WINDOW_MS) / BUCKET_MS);
    for (const [key, buckets] of this.series) {
      for (const idx of buckets.keys()) if (idx < oldest) buckets.delete(idx);
      if (buckets.size === 0) this.series.delete(key);
    }
  }

  /** One row per bucket of the last `windowMs`, oldest first, for one key; `at` is the bucket's start (ms). */
  points(service, now = Date.now(), windowMs = WINDOW_MS) {
    const buckets = this.series.get(service) ?? new Map();
    const last = Math.floor(now / BUCKET_MS);
    const out = [];
    const n = Math.max(1, Math.min(BUCKETS, Math.round(windowMs / BUCKET_MS)));
    for (let idx = last - n + 1; idx <= last; idx++) {
      const b = buckets.get(idx);
      // The current bucket is still filling: scale its rate by the part of it that has elapsed.
      const span = idx === last ? Math.max(1, now - idx * BUCKET_MS) : BUCKET_MS;
      const at = idx * BUCKET_MS;
      if (!b) {
        out.push({ at, rps: 0, eps: 0, errorRatio: 0, p50: undefined, p99: undefined });
        continue;
      }
      const sorted = [...b.durations].sort((x, y) => x - y);
      out.push({ at, rps: (b.count * 1000) / span, eps: (b.errors * 1000) / span, errorRatio: b.count ? b.errors / b.count : 0, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) });
    }
    return out;
  }

  /**
   * Totals over the whole of the last `ms` (1 or 5 minutes) for the headline numbers: a service that
   * failed every request 40 s ago still shows it, whatever the current 5 s bucket says.
   */
  recent(service, ms = 60_000, now = Date.now()) {
    const buckets = this.series.get(service) ?? new Map();
    const from = Math.floor((now - ms) / BUCKET_MS);
    let count = 0;
    let errors = 0;
    const durations = [];
    for (const [idx, b] of buckets) {
      if (idx <= from) continue;
      count += b.count;
      errors += b.errors;
      durations.push(...b.durations);
    }
    durations.sort((x, y) => x - y);
    const elapsed = Math.min(ms, now - (from + 1) * BUCKET_MS);
    return { rps: elapsed > 0 ? (count * 1000) / elapsed : 0, errorRatio: count ? errors / count : 0, p50: quantile(durations, 0.5), p99: quantile(durations, 0.99), count, errors };
  }

  /** Services by traffic in the window, busiest first, `all services` on top. */
  services() {
    const totals = [];
    for (const [key, buckets] of this.series) {
      if (key === ALL) continue;
      let n = 0;
      for (const b of buckets.values()) n += b.count;
      totals.push([key, n]);
    }
    totals.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    return [...(this.series.has(ALL) ? [ALL] : []), ...totals.slice(0, MAX_SERVICES).map(([k]) => k)];
  }
}
