import type { Server } from 'node:net';
import type { Logger } from 'pino';
import type { TelemetryStatus } from '../admin/summary.ts';
import type { Config } from '../config/settings.ts';
import type { HealthChangeEvent, HealthState } from '../proxy/health/types.ts';
import type { RequestObserver } from '../proxy/request-record.ts';
import type { SwapParticipant } from '../routing/route-state.ts';
import type { RouteTable } from '../routing/route-table.ts';
import { serviceEndpoints } from './backend-endpoints.ts';
import { type BackendHealthChange, ControlEventBuilder } from './control-events.ts';
import { backendChangeOf } from './health-bridge.ts';
import { LiveFeed } from './live-feed.ts';
import { TelemetryObserver } from './observer.ts';
import type { RequestEvent } from './request-event.ts';
import { Metrics, type MetricsSnapshot } from './sinks/metrics.ts';
import { natsConnectionOptions } from './sinks/nats-options.ts';
import { spanExportInit } from './sinks/otlp-setup.ts';
import type { RecentEvents } from './sinks/ring.ts';
import { TelemetryThread } from './thread/telemetry-thread.ts';
import { PassiveTraceIds, type RequestTracing } from './tracing.ts';
import { UlidGenerator } from './ulid.ts';

async function otelTracing(sampler: string, arg: string | undefined): Promise<RequestTracing> {
  const [{ OtelTracing }, { samplerFrom }] = await Promise.all([import('./otel-tracing.ts'), import('./sinks/otlp-sampler.ts')]);
  return new OtelTracing(samplerFrom(sampler, arg));
}

export const BACKENDS_SUBJECT = 'rauta.backends';
export const CONFIG_SUBJECT = 'rauta.config';

export interface Telemetry {
  readonly observer: RequestObserver;
  /** This thread's metrics (connections, TLS, config, backends, process); request metrics live in the telemetry thread. */
  readonly metrics: Metrics;
  /** /metrics: this thread's metrics plus the telemetry thread's. */
  renderMetrics(): Promise<{ body: string; contentType: string }>;
  /** Both registries' values as data (a data-plane worker's share of the primary's /metrics). */
  metricsSnapshots(): Promise<MetricsSnapshot[]>;
  /** The ring buffer (in the telemetry thread) for /requests. */
  readonly ring: RecentEvents;
  /** The ring's events as JSON, newest first. */
  recentJson(): Promise<readonly string[]>;
  /** Every event's JSON from now on, until the returned function is called. */
  subscribeEvents(listener: (json: string) => void): () => void;
  /** The live feed behind /requests/stream (bounded clients and buffers). */
  readonly feed: LiveFeed;
  /** Joins every route-table swap: config reload metrics and `rauta.config` events. */
  readonly swapParticipant: SwapParticipant;
  /**
   * Counts open client connections of a traffic listener (`rauta_active_connections`): pass the server
   * that accepts the TCP connections (plain HTTP or its h2c front, the HTTPS listener).
   */
  trackConnections(server: Server): void;
  /** `rauta_tls_handshake_failures_total{reason}` from the HTTPS listener's failure counter. */
  trackHandshakeFailures(failures: { onFailure(listener: (f: { readonly reason: string }) => void): void }): void;
  /** `rauta_backend_ready_endpoints` / `rauta_backend_ejected_endpoints`, read from these at scrape time. */
  trackBackends(table: () => RouteTable, health: { state(key: string): HealthState }): void;
  /** The health state-change callback: `rauta_backend_health_transitions_total` and `rauta.backends`. */
  backendHealthChanged(e: HealthChangeEvent): void;
  /** `rauta.backends` only. */
  publishBackendChange(change: BackendHealthChange): void;
  publishConfigApplied(...args: Parameters<ControlEventBuilder['configApplied']>): void;
  publishIngressRejected(...args: Parameters<ControlEventBuilder['ingressRejected']>): void;
  /** A configuration that could not be loaded (`rauta_config_reloads_total{result="failure"}`). */
  configReloadFailed(): void;
  /** NATS and tracing state for the web UI's status line (/api/summary). */
  readonly status: TelemetryStatus;
  /** Flushes queued events, stops the live feeds, closes NATS and the span exporter (each bounded in time). */
  stop(): Promise<void>;
}

/**
 * Wires the event pipeline. The per-request work of every sink (event build and JSON, ring, NATS,
 * access log, request metrics, span encoding and export) runs in one telemetry thread; this thread
 * keeps the sampler and trace ids (they are needed during the request), the metrics that belong to
 * the listeners and the control plane, and the admin side of /metrics, /requests and the live feed.
 */
export async function startTelemetry(config: Config, logger: Logger, opts: { readonly lazyThread?: boolean } = {}): Promise<Telemetry> {
  const log = logger.child({ component: 'telemetry' });
  const identity = { cluster: config.clusterName, node: config.nodeName };
  const ids = new UlidGenerator();
  const metrics = new Metrics();

  const natsSettings = config.natsUrl === undefined ? undefined : { url: config.natsUrl, credsFile: config.natsCreds, token: config.natsToken };
  // Settings errors (unreadable creds, bad sampler) fail start-up here, not later in the thread.
  if (natsSettings !== undefined) natsConnectionOptions(natsSettings);
  const otlp = {
    endpoint: config.otelExporterOtlpEndpoint,
    tracesEndpoint: config.otelExporterOtlpTracesEndpoint,
    protocol: config.otelExporterOtlpProtocol,
    tracesProtocol: config.otelExporterOtlpTracesProtocol as 'http/protobuf' | 'http/json' | undefined,
    serviceName: config.otelServiceName,
    sampler: config.otelTracesSampler,
    samplerArg: config.otelTracesSamplerArg,
    resourceAttributes: config.otelResourceAttributes,
    scheduleDelayMs: config.otelBspScheduleDelay,
    maxQueueSize: config.otelBspMaxQueueSize,
    exportTimeoutMs: config.otelExporterOtlpTimeout,
  };
  const spans = spanExportInit(otlp);
  // The OTel API and SDK (sampler) are loaded only when tracing is on.
  const tracing: RequestTracing = spans === undefined ? new PassiveTraceIds() : await otelTracing(otlp.sampler, otlp.samplerArg);

  // Requests the thread never got (queue full, thread gone) are lost to every sink: counted for each.
  const lost = ['ring', 'metrics', ...(natsSettings !== undefined ? ['nats'] : []), ...(config.accessLog ? ['log'] : [])].map((s) => metrics.countersFor(s));
  const thread = new TelemetryThread({
    logLevel: config.logLevel, cluster: identity.cluster, node: identity.node, includeQuery: config.eventIncludeQuery,
    ringSize: config.ringSize, eventQueueSize: config.eventQueueSize, accessLog: config.accessLog,
    nats: natsSettings === undefined ? undefined : { ...natsSettings, bufferSize: config.natsBufferSize, subject: config.natsSubject, mirror: config.natsMirrorSubject },
    spans,
  }, logger, (n) => {
    for (const c of lost) c.dropped(n);
  }, opts.lazyThread === true);

  if (natsSettings !== undefined) {
    log.info({ subject: config.natsSubject, mirror: config.natsMirrorSubject, control_subjects: [BACKENDS_SUBJECT, CONFIG_SUBJECT] }, `events go to NATS ${config.natsSubject} and the ring buffer at :${config.adminPort}/requests`);
  } else {
    log.info(`no NATS_URL: events go to the ring buffer at :${config.adminPort}/requests only`);
  }
  if (spans !== undefined) log.info({ url: spans.url, protocol: spans.protocol, service: config.otelServiceName, sampler: config.otelTracesSampler }, 'OTLP tracing on');

  const observer = new TelemetryObserver({ tracing, sink: thread, metrics, logger: log });
  const control = new ControlEventBuilder(ids, identity);
  const publishControl = (subject: string, event: unknown) => {
    if (natsSettings !== undefined) thread.control(subject, JSON.stringify(event));
  };

  const ring: RecentEvents = {
    async recent(limit, keep) {
      const out: { event: RequestEvent; json: string }[] = [];
      for (const json of await thread.recentJson()) {
        if (out.length >= limit) break;
        const event = JSON.parse(json) as RequestEvent;
        if (keep(event)) out.push({ event, json });
      }
      return out;
    },
  };

  const feed = new LiveFeed({
    maxClients: config.liveFeedMaxClients,
    maxBufferedBytes: config.liveFeedBufferBytes,
    subscribe: (listener) => thread.subscribeFeed((json) => listener({ event: JSON.parse(json) as RequestEvent, json })),
    counters: metrics.countersFor('sse'),
    onClientDropped: () => metrics.liveFeedDropped.inc(),
    onClientRejected: () => metrics.liveFeedRejected.inc(),
  });
  metrics.observeLiveFeed(() => ({ clients: feed.size, bufferedBytes: feed.bufferedBytes() }));

  const publishConfigApplied: Telemetry['publishConfigApplied'] = (applied) => publishControl(CONFIG_SUBJECT, control.configApplied(applied));
  const publishIngressRejected: Telemetry['publishIngressRejected'] = (d) => publishControl(CONFIG_SUBJECT, control.ingressRejected(d));
  const publishBackendChange: Telemetry['publishBackendChange'] = (change) => publishControl(BACKENDS_SUBJECT, control.backendChange(change));

  return {
    observer,
    metrics,
    async renderMetrics() {
      const other = await thread.metrics();
      return metrics.renderWith(other === undefined ? [] : [other]);
    },
    async metricsSnapshots() {
      const [own, other] = await Promise.all([metrics.snapshot(), thread.metrics()]);
      return other === undefined ? [own] : [own, other];
    },
    recentJson: () => thread.recentJson(),
    subscribeEvents: (listener) => thread.subscribeFeed(listener),
    ring,
    feed,
    swapParticipant: {
      name: 'telemetry',
      prepare(applied) {
        const rejected = new Set(applied.table.diagnostics.filter((d) => d.severity === 'error' && d.ingress !== '' && d.kind === undefined).map((d) => `${d.namespace}/${d.ingress}`));
        return () => {
          for (const d of applied.newDiagnostics) publishIngressRejected(d);
          metrics.configReload('success');
          metrics.ingressRejected.set(rejected.size);
          publishConfigApplied(applied);
        };
      },
    },
    trackConnections(server) {
      server.on('connection', (socket) => {
        metrics.activeConnections.inc();
        socket.once('close', () => metrics.activeConnections.dec());
      });
    },
    trackHandshakeFailures(failures) {
      failures.onFailure((f) => metrics.tlsHandshakeFailed(f.reason));
    },
    trackBackends(table, health) {
      metrics.observeBackends(() => serviceEndpoints(table(), health));
    },
    backendHealthChanged(e) {
      metrics.healthTransition(e.namespace, e.service, e.newState);
      publishBackendChange(backendChangeOf(e));
    },
    publishBackendChange,
    publishConfigApplied,
    publishIngressRejected,
    configReloadFailed: () => metrics.configReload('failure'),
    status: {
      nats: () => ({ configured: natsSettings !== undefined, connected: thread.natsConnected }),
      tracing: () => ({ enabled: spans !== undefined }),
    },
    async stop() {
      feed.close();
      // NATS drain and the last span export are each bounded in the thread; this bounds the whole.
      await thread.stop(5000);
    },
  };
}
