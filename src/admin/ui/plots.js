// Traffic cards with real charts (uPlot, bundled under /ui/vendor: no CDN): per service, requests and
// 5xx per second, and p50/p99 latency, with time axes, units and values under the cursor. The headline
// numbers cover the whole chosen window (1 or 5 minutes), not the current 5 s bucket.
import uPlot from './vendor/uplot.js';
import { formatDuration, h } from './views.js';

const HEIGHT = 104;

const pad2 = (n) => String(n).padStart(2, '0');
/** 24-hour clock labels for the time axis: HH:MM, with seconds when the ticks are closer than a minute. */
function timeLabels(_u, ticks, _space, _incr, foundIncr) {
  return ticks.map((t) => {
    const d = new Date(t * 1000);
    return foundIncr < 60 ? `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}` : `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  });
}

function cssVar(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

function palette() {
  return {
    axis: cssVar('--muted', '#5b6472'),
    grid: cssVar('--line', '#e3e6eb'),
    a: cssVar('--chart-a', '#2563eb'),
    b: cssVar('--chart-b', '#7c3aed'),
    err: cssVar('--bad', '#c62828'),
  };
}

const rate = (_u, v) => (v == null ? '–' : `${v < 10 ? v.toFixed(2) : Math.round(v)}/s`);
const ms = (_u, v) => (v == null ? '–' : formatDuration(v));

function axes(colors, label, values) {
  return [
    { stroke: colors.axis, grid: { stroke: colors.grid, width: 1 }, ticks: { stroke: colors.grid, width: 1 }, font: '11px system-ui, sans-serif', values: timeLabels, size: 28 },
    { stroke: colors.axis, grid: { stroke: colors.grid, width: 1 }, ticks: { stroke: colors.grid, width: 1 }, font: '11px system-ui, sans-serif', label, labelFont: '11px system-ui, sans-serif', labelSize: 14, size: 48, values },
  ];
}

function trafficChart(el, width, title) {
  const c = palette();
  return new uPlot({
    title, width, height: HEIGHT, cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
    axes: axes(c, 'per second', (_u, ticks) => ticks.map((t) => (t < 10 ? t.toFixed(1) : String(Math.round(t))))),
    series: [{ label: 'time', value: '{HH}:{mm}:{ss}' }, { label: 'requests', stroke: c.a, width: 1.5, fill: `${c.a}22`, value: rate, points: { size: 4 } }, { label: '5xx', stroke: c.err, width: 1.5, value: rate, points: { size: 4 } }],
  }, [[], [], []], el);
}

function latencyChart(el, width, title) {
  const c = palette();
  return new uPlot({
    title, width, height: HEIGHT, cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
    axes: axes(c, 'ms', (_u, ticks) => ticks.map((t) => (t < 10 ? t.toFixed(1) : String(Math.round(t))))),
    // Buckets without requests have no latency: gaps, with every measured bucket drawn as a point.
    series: [{ label: 'time', value: '{HH}:{mm}:{ss}' }, { label: 'p50', stroke: c.a, width: 1.5, value: ms, points: { show: true, size: 4, fill: c.a } }, { label: 'p99', stroke: c.b, width: 1.5, dash: [4, 3], value: ms, points: { show: true, size: 4, fill: c.b } }],
  }, [[], [], []], el);
}

function pct(r) {
  return `${(r * 100).toFixed(r > 0 && r < 0.001 ? 2 : 1)} %`;
}

/** The cards' DOM and charts, kept between renders so the charts update in place. */
export class TrafficCards {
  constructor(container) {
    this.container = container;
    /** @type {Map<string, {card: HTMLElement, numbers: HTMLElement, traffic: uPlot, latency: uPlot}>} */
    this.cards = new Map();
    this.resize = new ResizeObserver(() => this.fit());
    this.resize.observe(container);
  }

  chartWidth(card) {
    return Math.max(200, Math.floor(card.clientWidth - 24));
  }

  fit() {
    for (const c of this.cards.values()) {
      const w = this.chartWidth(c.card);
      if (Math.abs(c.traffic.width - w) > 2) {
        c.traffic.setSize({ width: w, height: HEIGHT });
        c.latency.setSize({ width: w, height: HEIGHT });
      }
    }
  }

  card(service) {
    let c = this.cards.get(service);
    if (c) return c;
    const numbers = h('dl', { class: 'numbers' });
    const trafficEl = h('div', { class: 'plot', 'data-plot': 'traffic' });
    const latencyEl = h('div', { class: 'plot', 'data-plot': 'latency' });
    const card = h('article', { class: 'chart-card', 'data-service': service }, h('h3', { class: 'card-title', title: service }, service), numbers, trafficEl, latencyEl);
    this.container.append(card);
    const w = this.chartWidth(card);
    c = { card, numbers, traffic: trafficChart(trafficEl, w, 'Requests and 5xx per second'), latency: latencyChart(latencyEl, w, 'Latency p50 / p99') };
    this.cards.set(service, c);
    return c;
  }

  /** Shows every busy service over the last `windowMs`. */
  render(stats, windowMs, now = Date.now()) {
    stats.prune(now);
    const services = stats.services();
    for (const [service, c] of this.cards) {
      if (services.includes(service)) continue;
      c.traffic.destroy();
      c.latency.destroy();
      c.card.remove();
      this.cards.delete(service);
    }
    this.container.querySelector(':scope > .empty')?.remove();
    if (services.length === 0) {
      this.container.append(h('p', { class: 'muted empty' }, 'No traffic seen yet.'));
      return;
    }
    const label = windowMs >= 5 * 60_000 ? '5 min' : '1 min';
    for (const service of services) {
      const c = this.card(service);
      // In the order of the list: all services first, then the busiest.
      this.container.append(c.card);
      const w = stats.recent(service, windowMs, now);
      const fact = (name, value, title) => [h('dt', {}, name), h('dd', { 'data-metric': name, title }, value)];
      c.numbers.replaceChildren(
        ...fact('requests', `${w.count}`, `requests in the last ${label}`),
        ...fact('req/s', w.rps.toFixed(w.rps < 10 ? 2 : 0), `average over the last ${label}`),
        ...fact('5xx', `${pct(w.errorRatio)} (${w.errors})`, `share of 5xx answers in the last ${label}`),
        ...fact('p50 / p99', `${formatDuration(w.p50)} / ${formatDuration(w.p99)}`, `latency percentiles over the last ${label}`),
      );
      c.card.classList.toggle('failing', w.errorRatio >= 0.05);
      const pts = stats.points(service, now, windowMs);
      const x = pts.map((p) => p.at / 1000);
      c.traffic.setData([x, pts.map((p) => p.rps), pts.map((p) => p.eps)]);
      c.latency.setData([x, pts.map((p) => p.p50 ?? null), pts.map((p) => p.p99 ?? null)]);
    }
  }
}
