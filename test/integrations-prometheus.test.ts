import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { Metrics } from '../src/telemetry/sinks/metrics.ts';

// promtool is not available here: the rule file's shape is checked, and every metric an expression names
// must be one RAUTA exports (this list is the contract the metrics code is cross-checked against).

/** Metric → its labels. `histogram` metrics also expose _bucket (with `le`), _sum and _count. */
const RAUTA_METRICS: Record<string, { labels: readonly string[]; histogram?: true }> = {
  rauta_requests_total: { labels: ['namespace', 'ingress', 'service', 'method', 'code'] },
  rauta_request_duration_seconds: { labels: ['namespace', 'ingress', 'service', 'method'], histogram: true },
  rauta_backend_errors_total: { labels: ['namespace', 'service', 'reason'] },
  rauta_events_dropped_total: { labels: ['sink'] },
  rauta_events_published_total: { labels: ['sink'] },
  rauta_nats_connected: { labels: [] },
  rauta_ingress_rejected: { labels: [] },
  rauta_backend_ready_endpoints: { labels: ['namespace', 'service'] },
  rauta_backend_ejected_endpoints: { labels: ['namespace', 'service'] },
  rauta_backend_health_transitions_total: { labels: ['namespace', 'service', 'state'] },
  rauta_tls_handshake_failures_total: { labels: ['reason'] },
  rauta_active_connections: { labels: [] },
  rauta_config_reloads_total: { labels: ['result'] },
  rauta_upstream_duration_seconds: { labels: ['namespace', 'service'], histogram: true },
  rauta_worker_restarts_total: { labels: [] },
  rauta_live_feed_clients: { labels: [] },
  rauta_live_feed_buffered_bytes: { labels: [] },
  rauta_live_feed_dropped_clients_total: { labels: [] },
  rauta_live_feed_rejected_clients_total: { labels: [] },
  // Made by Prometheus itself for every target.
  up: { labels: [] },
};
const TARGET_LABELS = ['job', 'instance'];

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile { groups: { name: string; interval?: string; rules: Rule[] }[] }

const rules = parse(readFileSync(new URL('../integrations/prometheus/alerts.yml', import.meta.url), 'utf8')) as RuleFile;
const alerts = rules.groups.flatMap((g) => g.rules);

/** Metric names referenced by a PromQL expression, with the label names used next to them. */
function metricsIn(expr: string): { name: string; labels: string[] }[] {
  const out: { name: string; labels: string[] }[] = [];
  for (const m of expr.matchAll(/\b(rauta_[a-z0-9_]+|up)\b(\{([^}]*)\})?/g)) {
    const labels = [...(m[3] ?? '').matchAll(/([a-z_]+)\s*(=~|!~|!=|=)/g)].map((l) => l[1]);
    out.push({ name: m[1], labels });
  }
  return out;
}

function baseMetric(name: string): { base: string; extra: string[] } | undefined {
  if (RAUTA_METRICS[name]) return { base: name, extra: [] };
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (m && RAUTA_METRICS[m[1]]?.histogram) return { base: m[1], extra: m[2] === 'bucket' ? ['le'] : [] };
  return undefined;
}

describe('integrations - Prometheus alert rules', () => {
  it('have the rule-file shape Prometheus loads', () => {
    assert.ok(Array.isArray(rules.groups) && rules.groups.length > 0);
    const groupNames = rules.groups.map((g) => g.name);
    assert.equal(new Set(groupNames).size, groupNames.length, 'group names are unique');
    for (const r of alerts) {
      assert.ok((r.alert === undefined) !== (r.record === undefined), 'each rule is an alert or a recording rule');
      assert.equal(typeof r.expr, 'string');
      assert.ok(r.expr.trim().length > 0);
      if (r.for !== undefined) assert.match(r.for, /^\d+[smhdwy]$/);
      for (const k of Object.keys(r)) assert.ok(['alert', 'record', 'expr', 'for', 'labels', 'annotations', 'keep_firing_for'].includes(k), `unknown key ${k}`);
    }
  });

  it('cover error ratio, p99 latency, NATS disconnected, events dropped and no ready endpoints', () => {
    const names = alerts.map((r) => r.alert);
    for (const a of ['RautaHighErrorRatio', 'RautaHighP99Latency', 'RautaNatsDisconnected', 'RautaEventsDropped', 'RautaNoReadyEndpoints']) {
      assert.ok(names.includes(a), a);
    }
    assert.equal(new Set(names).size, names.length, 'alert names are unique');
  });

  it('every alert has a severity, a summary and a description; templates are balanced', () => {
    for (const r of alerts) {
      assert.ok(['info', 'warning', 'critical'].includes(r.labels?.severity ?? ''), `${r.alert} severity`);
      assert.ok(r.annotations?.summary && r.annotations.description, `${r.alert} annotations`);
      for (const text of Object.values(r.annotations ?? {})) {
        assert.equal(text.split('{{').length, text.split('}}').length, `${r.alert}: balanced {{ }} in "${text}"`);
      }
    }
  });

  it('expressions have balanced brackets and name only metrics and labels RAUTA exports', () => {
    for (const r of alerts) {
      for (const [open, close] of [['(', ')'], ['{', '}'], ['[', ']']]) {
        assert.equal(r.expr.split(open).length, r.expr.split(close).length, `${r.alert}: balanced ${open}${close}`);
      }
      const used = metricsIn(r.expr);
      assert.ok(used.length > 0, `${r.alert} names a metric`);
      const allowed = new Set<string>(TARGET_LABELS);
      for (const m of used) {
        const known = baseMetric(m.name);
        assert.ok(known, `${r.alert}: ${m.name} is a metric RAUTA exports`);
        for (const l of [...RAUTA_METRICS[known.base].labels, ...known.extra]) allowed.add(l);
        for (const l of m.labels) assert.ok(allowed.has(l), `${r.alert}: ${m.name} has label ${l}`);
      }
      for (const by of r.expr.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g)) {
        for (const l of by[1].split(',').map((s) => s.trim()).filter(Boolean)) assert.ok(allowed.has(l), `${r.alert}: grouping label ${l} exists`);
      }
      for (const t of Object.values(r.annotations ?? {}).join(' ').matchAll(/\$labels\.([a-z_]+)/g)) {
        assert.ok(allowed.has(t[1]), `${r.alert}: annotation uses label ${t[1]}`);
      }
    }
  });

  it('the checker itself rejects an unknown metric and an unknown label', () => {
    assert.equal(baseMetric('rauta_requests_seconds'), undefined);
    assert.deepEqual(baseMetric('rauta_request_duration_seconds_bucket'), { base: 'rauta_request_duration_seconds', extra: ['le'] });
    assert.deepEqual(metricsIn('sum by (x) (rate(rauta_requests_total{status=~"5.."}[5m]))'), [{ name: 'rauta_requests_total', labels: ['status'] }]);
    assert.ok(!RAUTA_METRICS.rauta_requests_total.labels.includes('status'));
  });
});

describe('integrations - the metric list matches what RAUTA exports', () => {
  it('every listed metric is exported by src/telemetry/sinks/metrics.ts with exactly those labels', async () => {
    const metrics = new Metrics();
    const exported = new Map<string, { type: string; labels: string[] }>();
    for (const m of await metrics.registry.getMetricsAsJSON()) {
      const labels = (metrics.registry.getSingleMetric(m.name) as unknown as { labelNames?: string[] }).labelNames ?? [];
      exported.set(m.name, { type: String(m.type), labels: [...labels] });
    }
    assert.ok(exported.size > 5, 'the registry lists RAUTA\'s metrics');
    for (const [name, spec] of Object.entries(RAUTA_METRICS)) {
      if (name === 'up') continue;
      const got = exported.get(name);
      assert.ok(got !== undefined, `${name} is not exported`);
      assert.deepEqual(got.labels, [...spec.labels], `${name} labels`);
      assert.equal(got.type === 'histogram', spec.histogram === true, `${name} type ${got.type}`);
    }
    for (const name of exported.keys()) if (name.startsWith('rauta_')) assert.ok(RAUTA_METRICS[name], `${name} is exported but missing from this list`);
  });
});

describe('integrations - Prometheus scrape config for a cluster', () => {
  it('keeps the rauta-metrics Service port from deploy/install.yaml', () => {
    const jobs = parse(readFileSync(new URL('../integrations/prometheus/scrape-kubernetes.yml', import.meta.url), 'utf8')) as {
      job_name: string; kubernetes_sd_configs: { role: string; namespaces: { names: string[] } }[]; relabel_configs: { regex?: string; action?: string }[];
    }[];
    const job = jobs[0];
    assert.equal(job.kubernetes_sd_configs[0].role, 'endpointslice');
    assert.deepEqual(job.kubernetes_sd_configs[0].namespaces.names, ['rauta-system']);
    const keep = job.relabel_configs.find((r) => r.action === 'keep');
    assert.equal(keep?.regex, 'rauta-metrics;metrics');
    const install = readFileSync(new URL('../deploy/install.yaml', import.meta.url), 'utf8');
    assert.match(install, /name: rauta-metrics[\s\S]*?- name: metrics\n\s+port: 9000/);
  });
});
