import type { Server } from 'node:net';
import type { Logger } from 'pino';
import type { TelemetryStatus } from '../admin/summary.ts';
import type { Config } from '../config/settings.ts';
import type { HealthChangeEvent, HealthState } from '../proxy/health/types.ts';
import type { RequestObserver } from '../proxy/request-record.ts';
import type { SwapParticipant } from '../routing/route-state.ts';
import type { RouteTable } from '../routing/route-table.ts';
import { serviceEndpoints } from './backend-endpoints.ts';
import { EventBus } from './bus.ts';
import { type BackendHealthChange, ControlEventBuilder } from './control-events.ts';
import { backendChangeOf } from './health-bridge.ts';
import { TelemetryObserver } from './observer.ts';
import { type EventIdentity, TimestampCache } from './request-event.ts';
import { LiveFeed } from './live-feed.ts';
import { compileRequestEventSerializer } from './serialize.ts';
import { AccessLogSink, asyncStdout } from './sinks/access-log.ts';
import { Metrics } from './sinks/metrics.ts';
import { NatsPublisher, NatsSink } from './sinks/nats.ts';
import { createSpanPipeline } from './sinks/otlp-setup.ts';
import { RingSink } from './sinks/ring.ts';
import { OtelTracing, PassiveTraceIds, type RequestTracing } from './tracing.ts';
import { UlidGenerator } from './ulid.ts';

export const BACKENDS_SUBJECT = 'rauta.backends';
export const CONFIG_SUBJECT = 'rauta.config';

export interface Telemetry {
  readonly observer: RequestObserver;
  readonly metrics: Metrics;
  readonly ring: RingSink;
  /** The live feed behind /requests/stream (bounded clients and buffers). */
  readonly feed: LiveFeed;
  readonly bus: EventBus;
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

/** Wires the event pipeline: one bus and the sinks the configuration enables (the admin API reads the ring and metrics). */
export function startTelemetry(config: Config, logger: Logger): Telemetry {
  const log = logger.child({ component: 'telemetry' });
  const identity: EventIdentity = { cluster: config.clusterName, node: config.nodeName };
  const ids = new UlidGenerator();
  const metrics = new Metrics();
  const bus = new EventBus({ queueSize: config.eventQueueSize, serialize: compileRequestEventSerializer(), counters: (s) => metrics.countersFor(s) });

  const ring = new RingSink(config.ringSize, metrics.countersFor('ring'));
  bus.add(ring);
  bus.add(metrics);
  if (config.accessLog) bus.add(new AccessLogSink(asyncStdout(metrics.countersFor('log')), metrics.countersFor('log')));

  let nats: NatsPublisher | undefined;
  if (config.natsUrl !== undefined) {
    nats = new NatsPublisher({
      url: config.natsUrl,
      credsFile: config.natsCreds,
      token: config.natsToken,
      bufferSize: config.natsBufferSize,
      counters: metrics.countersFor('nats'),
      onConnectedChange: (up) => metrics.natsConnected.set(up ? 1 : 0),
      logger,
    });
    bus.add(new NatsSink(nats, config.natsSubject, config.natsMirrorSubject));
    nats.start();
    log.info({ subject: config.natsSubject, mirror: config.natsMirrorSubject, control_subjects: [BACKENDS_SUBJECT, CONFIG_SUBJECT] }, `events go to NATS ${config.natsSubject} and the ring buffer at :${config.adminPort}/requests`);
  } else {
    metrics.natsConnected.set(0);
    log.info(`no NATS_URL: events go to the ring buffer at :${config.adminPort}/requests only`);
  }

  let tracing: RequestTracing = new PassiveTraceIds();
  const otlp = createSpanPipeline({
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
  }, metrics.countersFor('otlp'), log);
  if (otlp !== undefined) {
    tracing = new OtelTracing(otlp, config.eventIncludeQuery);
    log.info({ url: otlp.url, protocol: otlp.protocol, service: config.otelServiceName, sampler: config.otelTracesSampler }, 'OTLP tracing on');
  }

  const observer = new TelemetryObserver({ tracing, bus, metrics, eventOptions: { ...identity, includeQuery: config.eventIncludeQuery, ids, timestamps: new TimestampCache() }, logger: log });
  const control = new ControlEventBuilder(ids, identity);
  const publishControl = (subject: string, event: unknown) => nats?.publish(subject, Buffer.from(JSON.stringify(event)));

  const feed = new LiveFeed({
    maxClients: config.liveFeedMaxClients,
    maxBufferedBytes: config.liveFeedBufferBytes,
    subscribe: (listener) => ring.subscribe(listener),
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
    ring,
    feed,
    bus,
    swapParticipant: {
      name: 'telemetry',
      prepare(applied) {
        const rejected = new Set(applied.table.diagnostics.filter((d) => d.severity === 'error' && d.ingress !== '').map((d) => `${d.namespace}/${d.ingress}`));
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
      nats: () => ({ configured: nats !== undefined, connected: nats?.isConnected ?? false }),
      tracing: () => ({ enabled: otlp !== undefined }),
    },
    async stop() {
      feed.close();
      await Promise.all([bus.close(), tracing.shutdown()]);
    },
  };
}
