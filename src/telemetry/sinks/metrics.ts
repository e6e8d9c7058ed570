import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { HANDSHAKE_FAILURE_REASONS } from '../../proxy/tls/handshake-failures.ts';
import type { RequestEvent } from '../request-event.ts';
import type { EventSink, SinkCounters } from '../sink.ts';

/** A registry's values as plain data (`getMetricsAsJSON`): what threads and processes send for aggregation. */
export type MetricsSnapshot = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** Request latency buckets, seconds: 1 ms … 60 s (the default upstream response timeout). Documented in docs/metrics.md. */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/** Label values stay bounded: unknown methods fold into OTHER; unmatched requests get '' for route labels. */
export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'OTHER';
}

type RequestLabels = 'namespace' | 'ingress' | 'service' | 'method' | 'code';

interface RequestChild {
  /** Requests not yet added to the prom-client counter. */
  pending: number;
  readonly counter: { inc(n: number): void };
  observe(v: number): void;
  observeUpstream(v: number): void;
}

/** One Service of the live route table, as the backend gauges report it at scrape time. */
export interface ServiceEndpoints {
  readonly namespace: string;
  readonly service: string;
  /** Endpoints the EndpointSlices call ready (health not applied). */
  readonly ready: number;
  /** Of those, the ones health has taken out of selection (passive ejection or failing probes). */
  readonly ejected: number;
}

const HEALTH_STATES = ['healthy', 'ejected', 'unhealthy'] as const;

/**
 * Every RAUTA metric, in its own registry (no prom-client global), plus Node's process metrics. As an
 * event sink it turns request events into the request counters; the rest are set by their owners.
 */
export class Metrics implements EventSink {
  readonly name = 'metrics';
  readonly registry = new Registry();
  private readonly requests: Counter<RequestLabels>;
  private readonly duration: Histogram<Exclude<RequestLabels, 'code'>>;
  private readonly upstream: Histogram<'namespace' | 'service'>;
  private readonly backendErrors: Counter<'namespace' | 'service' | 'reason'>;
  private readonly published: Counter<'sink'>;
  private readonly dropped: Counter<'sink'>;
  readonly natsConnected: Gauge;
  readonly activeConnections: Gauge;
  private readonly configReloads: Counter<'result'>;
  readonly ingressRejected: Gauge;
  private readonly tlsFailures: Counter<'reason'>;
  private readonly healthTransitions: Counter<'namespace' | 'service' | 'state'>;
  private readonly workerRestarts: Counter;
  readonly liveFeedDropped: Counter;
  readonly liveFeedRejected: Counter;
  /** Read at scrape time from the live feed. */
  private liveFeedSource: () => { clients: number; bufferedBytes: number } = () => ({ clients: 0, bufferedBytes: 0 });
  /** Read at scrape time: the gauges always describe the live route table, gone Services disappear. */
  private backendSource: () => Iterable<ServiceEndpoints> = () => [];
  /**
   * Label children cached by route+method+code: prom-client builds and hashes a label object on every
   * `labels(...)` call otherwise. The upstream-duration child (namespace+service) rides along.
   */
  private readonly requestChildren = new Map<string, RequestChild>();
  /**
   * Counts per sink and per request-counter child, added to prom-client when a registry is read (the
   * counters' `collect`): a prom-client `inc` hashes its label set on every call, several times per
   * request otherwise. Values read are always complete.
   */
  private readonly sinkCounts = new Map<string, { published: number; dropped: number }>();
  private readonly ownCounters: SinkCounters;

  /**
   * `processMetrics: false` for a registry whose numbers are added to another's (the telemetry thread's,
   * a data-plane worker's): Node's process metrics are collected once, by the registry that renders.
   */
  constructor(opts: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const children = this.requestChildren;
    const sinkCounts = this.sinkCounts;
    this.requests = new Counter({
      name: 'rauta_requests_total', help: 'Requests handled, by route and status code (RAUTA\'s own answers included)', labelNames: ['namespace', 'ingress', 'service', 'method', 'code'], registers,
      collect() {
        for (const c of children.values()) {
          if (c.pending === 0) continue;
          c.counter.inc(c.pending);
          c.pending = 0;
        }
      },
    });
    this.duration = new Histogram({ name: 'rauta_request_duration_seconds', help: 'Request duration from accept to last byte', labelNames: ['namespace', 'ingress', 'service', 'method'], buckets: DURATION_BUCKETS, registers });
    this.upstream = new Histogram({ name: 'rauta_upstream_duration_seconds', help: 'Time spent on upstream attempts per request (connect to response end, summed over retries)', labelNames: ['namespace', 'service'], buckets: DURATION_BUCKETS, registers });
    this.backendErrors = new Counter({ name: 'rauta_backend_errors_total', help: 'Failed upstream attempts, by RAUTA error code', labelNames: ['namespace', 'service', 'reason'], registers });
    this.published = new Counter({
      name: 'rauta_events_published_total', help: 'Events handed to a sink', labelNames: ['sink'], registers,
      collect() {
        for (const [sink, c] of sinkCounts) {
          if (c.published === 0) continue;
          this.labels(sink).inc(c.published);
          c.published = 0;
        }
      },
    });
    this.dropped = new Counter({
      name: 'rauta_events_dropped_total', help: 'Events a sink lost because its bounded queue was full (or it was disconnected too long)', labelNames: ['sink'], registers,
      collect() {
        for (const [sink, c] of sinkCounts) {
          if (c.dropped === 0) continue;
          this.labels(sink).inc(c.dropped);
          c.dropped = 0;
        }
      },
    });
    this.natsConnected = new Gauge({ name: 'rauta_nats_connected', help: '1 while connected to NATS, else 0 (also 0 when NATS is not configured)', registers });
    this.activeConnections = new Gauge({ name: 'rauta_active_connections', help: 'Open client connections on the traffic listeners', registers });
    this.configReloads = new Counter({ name: 'rauta_config_reloads_total', help: 'Route tables applied (success), or configuration that could not be loaded or applied (failure)', labelNames: ['result'], registers });
    this.ingressRejected = new Gauge({ name: 'rauta_ingress_rejected', help: 'Ingresses with at least one error diagnostic in the live route table', registers });
    this.tlsFailures = new Counter({ name: 'rauta_tls_handshake_failures_total', help: 'Failed TLS handshakes on the HTTPS listener, by reason', labelNames: ['reason'], registers });
    const backends = (): Iterable<ServiceEndpoints> => this.backendSource();
    new Gauge({
      name: 'rauta_backend_ready_endpoints', help: 'Ready endpoints (EndpointSlice conditions) of each Service the route table routes to', labelNames: ['namespace', 'service'], registers,
      collect() {
        this.reset();
        for (const s of backends()) this.labels(s.namespace, s.service).set(s.ready);
      },
    });
    new Gauge({
      name: 'rauta_backend_ejected_endpoints', help: 'Ready endpoints health has taken out of selection: ejected (passive outlier detection) or unhealthy (active probes)', labelNames: ['namespace', 'service'], registers,
      collect() {
        this.reset();
        for (const s of backends()) this.labels(s.namespace, s.service).set(s.ejected);
      },
    });
    this.healthTransitions = new Counter({ name: 'rauta_backend_health_transitions_total', help: 'Endpoint health transitions, by the state entered', labelNames: ['namespace', 'service', 'state'], registers });
    this.workerRestarts = new Counter({ name: 'rauta_worker_restarts_total', help: 'Data-plane worker processes that exited unexpectedly and were replaced (RAUTA_WORKERS above 1)', registers });
    this.liveFeedDropped = new Counter({ name: 'rauta_live_feed_dropped_clients_total', help: 'Live-feed clients disconnected because they fell more than RAUTA_LIVE_FEED_BUFFER_BYTES behind', registers });
    this.liveFeedRejected = new Counter({ name: 'rauta_live_feed_rejected_clients_total', help: 'Live-feed clients refused with 503 because RAUTA_LIVE_FEED_MAX_CLIENTS were connected', registers });
    const liveFeed = () => this.liveFeedSource();
    new Gauge({ name: 'rauta_live_feed_clients', help: 'Clients connected to the live feed (/requests/stream)', registers, collect() { this.set(liveFeed().clients); } });
    new Gauge({ name: 'rauta_live_feed_buffered_bytes', help: 'Bytes written to live-feed clients and not yet taken by their sockets (bounded by clients × RAUTA_LIVE_FEED_BUFFER_BYTES)', registers, collect() { this.set(liveFeed().bufferedBytes); } });
    for (const reason of HANDSHAKE_FAILURE_REASONS) this.tlsFailures.labels(reason).inc(0);
    for (const sink of ['ring', 'nats', 'otlp', 'log', 'metrics', 'sse']) {
      this.published.labels(sink).inc(0);
      this.dropped.labels(sink).inc(0);
    }
    for (const result of ['success', 'failure']) this.configReloads.labels(result).inc(0);
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.ownCounters = this.countersFor('metrics');
  }

  countersFor(sink: string): SinkCounters {
    let c = this.sinkCounts.get(sink);
    if (c === undefined) {
      c = { published: 0, dropped: 0 };
      this.sinkCounts.set(sink, c);
      // The series exists (at 0) from the start, as before.
      this.published.labels(sink).inc(0);
      this.dropped.labels(sink).inc(0);
    }
    const counts = c;
    return {
      published: (n = 1) => {
        counts.published += n;
      },
      dropped: (n = 1) => {
        counts.dropped += n;
      },
    };
  }

  write(e: RequestEvent): void {
    const ns = e.context.namespace ?? '';
    // Gateway API routes keep the same label set: `ingress` holds `HTTPRoute/<name>` (or GRPCRoute/…),
    // which no Ingress name can be, so existing series and queries for Ingresses are unchanged.
    const r = e.data.route;
    const ingress = r === undefined ? '' : r.kind === undefined ? r.ingress : `${r.kind}/${r.ingress}`;
    const service = e.data.backend?.service ?? '';
    const method = methodLabel(e.data.method);
    const code = String(e.data.status_code);
    const key = `${ns}\0${ingress}\0${service}\0${method}\0${code}`;
    let child = this.requestChildren.get(key);
    if (child === undefined) {
      const counter = this.requests.labels(ns, ingress, service, method, code);
      const hist = this.duration.labels(ns, ingress, service, method);
      const upstream = this.upstream.labels(ns, service);
      child = { pending: 0, counter, observe: (v) => hist.observe(v), observeUpstream: (v) => upstream.observe(v) };
      this.requestChildren.set(key, child);
    }
    child.pending++;
    child.observe(e.data.duration_ms / 1000);
    if (e.data.upstream_duration_ms !== undefined) child.observeUpstream(e.data.upstream_duration_ms / 1000);
    this.ownCounters.published();
  }

  backendError(namespace: string, service: string, code: string): void {
    this.backendErrors.labels(namespace, service, code).inc();
  }

  configReload(result: 'success' | 'failure'): void {
    this.configReloads.labels(result).inc();
  }

  /** Bounded label set: an unknown reason counts as `other`. */
  tlsHandshakeFailed(reason: string): void {
    this.tlsFailures.labels((HANDSHAKE_FAILURE_REASONS as readonly string[]).includes(reason) ? reason : 'other').inc();
  }

  workerRestarted(): void {
    this.workerRestarts.inc();
  }

  healthTransition(namespace: string, service: string, state: (typeof HEALTH_STATES)[number]): void {
    this.healthTransitions.labels(namespace, service, state).inc();
  }

  /** Where the backend endpoint gauges read from (the live route table and health). */
  observeBackends(source: () => Iterable<ServiceEndpoints>): void {
    this.backendSource = source;
  }

  /** Where the live-feed gauges read from. */
  observeLiveFeed(source: () => { clients: number; bufferedBytes: number }): void {
    this.liveFeedSource = source;
  }

  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }

  /** This registry's values with others' (same metric names: counters and histograms add up). */
  snapshot(): Promise<MetricsSnapshot> {
    return this.registry.getMetricsAsJSON();
  }

  async renderWith(others: readonly MetricsSnapshot[]): Promise<{ body: string; contentType: string }> {
    if (others.length === 0) return this.render();
    const merged = AggregatorRegistry.aggregate([await this.registry.getMetricsAsJSON(), ...others]);
    return { body: await merged.metrics(), contentType: this.registry.contentType };
  }
}
