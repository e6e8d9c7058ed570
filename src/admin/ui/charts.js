// Traffic at a glance: per-service time buckets filled from the live feed, drawn as inline SVG
// sparklines. Everything is computed in the browser from the events it has seen.
import { h } from './views.js';

const SVG = 'http://www.w3.org/2000/svg';
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

  /** One row per bucket, oldest first, for one service. */
  points(service, now = Date.now()) {
    const buckets = this.series.get(service) ?? new Map();
    const last = Math.floor(now / BUCKET_MS);
    const out = [];
    for (let idx = last - BUCKETS + 1; idx <= last; idx++) {
      const b = buckets.get(idx);
      // The current bucket is still filling: scale its rate by the part of it that has elapsed.
      const span = idx === last ? Math.max(1, now - idx * BUCKET_MS) : BUCKET_MS;
      if (!b) {
        out.push({ rps: 0, errorRatio: 0, p50: undefined, p99: undefined });
        continue;
      }
      const sorted = [...b.durations].sort((x, y) => x - y);
      out.push({ rps: (b.count * 1000) / span, errorRatio: b.count ? b.errors / b.count : 0, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) });
    }
    return out;
  }

  /** Totals over the last `ms` for the headline numbers. */
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
    return { rps: elapsed > 0 ? (count * 1000) / elapsed : 0, errorRatio: count ? errors / count : 0, p50: quantile(durations, 0.5), p99: quantile(durations, 0.99), count };
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

function svg(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** A sparkline of one or two series (values may be undefined = gap). */
function sparkline(label, series, { max, classes }) {
  const W = 120;
  const H = 34;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'spark', role: 'img', preserveAspectRatio: 'none' });
  const title = svg('title', {});
  title.textContent = label;
  root.append(title);
  root.append(svg('line', { x1: 0, y1: H - 0.5, x2: W, y2: H - 0.5, class: 'axis' }));
  const top = max > 0 ? max : 1;
  series.forEach((values, i) => {
    const n = values.length;
    let d = '';
    let pen = false;
    values.forEach((v, j) => {
      if (v === undefined) {
        pen = false;
        return;
      }
      const x = n > 1 ? (j / (n - 1)) * W : 0;
      const y = H - 1 - (Math.min(v, top) / top) * (H - 3);
      d += `${pen ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)} `;
      // A value with no neighbour would be an invisible one-point path: mark it with a short tick.
      if (values[j - 1] === undefined && values[j + 1] === undefined) d += `L${(x + 1.5).toFixed(1)},${y.toFixed(1)} `;
      pen = true;
    });
    if (d) root.append(svg('path', { d: d.trim(), class: classes[i] }));
  });
  return root;
}

function fmtMs(v) {
  if (v === undefined) return '–';
  return v < 10 ? `${v.toFixed(1)} ms` : v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(1)} s`;
}

/** Renders one card per service into `container` (replacing its content). */
export function renderCharts(container, stats, now = Date.now()) {
  stats.prune(now);
  const services = stats.services();
  if (services.length === 0) {
    container.replaceChildren(h('p', { class: 'muted' }, 'No traffic seen yet.'));
    return;
  }
  const cards = services.map((service) => {
    const pts = stats.points(service, now);
    const recent = stats.recent(service, 60_000, now);
    const rps = pts.map((p) => p.rps);
    const err = pts.map((p) => p.errorRatio * 100);
    const p50 = pts.map((p) => p.p50);
    const p99 = pts.map((p) => p.p99);
    const maxLatency = Math.max(1, ...p99.filter((v) => v !== undefined));
    const metric = (name, value, chart) => h('div', { class: 'metric' }, h('div', { class: 'metric-head' }, typeof name === 'string' ? h('span', { class: 'muted' }, name) : name, h('strong', {}, value)), chart);
    const latencyLegend = h('span', { class: 'muted' }, h('span', { class: 'key-a' }, 'p50'), ' / ', h('span', { class: 'key-b' }, 'p99 ┄'));
    return h('article', { class: 'chart-card', 'data-service': service },
      h('h3', { class: 'card-title', title: service }, service),
      metric('req/s', recent.rps.toFixed(recent.rps < 10 ? 2 : 0), sparkline(`${service}: requests per second, last 5 minutes`, [rps], { max: Math.max(...rps), classes: ['line-a'] })),
      metric('errors', `${(recent.errorRatio * 100).toFixed(1)} %`, sparkline(`${service}: share of 5xx responses, last 5 minutes`, [err], { max: Math.max(5, ...err), classes: ['line-err'] })),
      metric(latencyLegend, `${fmtMs(recent.p50)} / ${fmtMs(recent.p99)}`, sparkline(`${service}: p50 and p99 latency, last 5 minutes`, [p99, p50], { max: maxLatency, classes: ['line-b', 'line-a'] })));
  });
  container.replaceChildren(...cards);
}
