import type { Logger } from 'pino';
import { type AdminViews, registerAdminRoutes } from './admin/admin-routes.ts';
import type { BackendsViewDeps } from './admin/backends-view.ts';
import type { BackendHealth } from './proxy/health/backend-health.ts';
import { AdminServer } from './admin/admin-server.ts';
import { warnIfAdminExposed } from './admin/exposure.ts';
import { type Config, settings } from './config/settings.ts';
import { listenOn } from './listen.ts';
import { ActiveRequests } from './proxy/active-requests.ts';
import type { ProxyDeps } from './proxy/http1-handler.ts';
import { createMirror } from './proxy/policy/mirror.ts';
import { PolicyRuntime } from './proxy/policy/runtime.ts';
import { createHttpServer } from './proxy/http-server.ts';
import type { KubernetesMode } from './control/kubernetes-mode.ts';
import { InFlight } from './proxy/in-flight.ts';
import { startLoadBalancing } from './proxy/load-balancing.ts';
import { type Protocols, createProtocols } from './proxy/protocols.ts';
import { RouteState } from './routing/route-state.ts';
import { EndpointSlots } from './proxy/endpoint-slots.ts';
import { createUpstreamClient } from './proxy/upstream-client.ts';
import { SourceRejections } from './control/source-rejections.ts';
import { Reconciler } from './control/reconciler.ts';
import { TranslateThread } from './control/translate-thread.ts';
import { RouteTable } from './routing/route-table.ts';
import { FileSource } from './sources/file/file-source.ts';
import type { Source } from './sources/object-set.ts';
import { type Telemetry, startTelemetry } from './telemetry/telemetry.ts';
import type { TableFeed } from './workers/table-feed.ts';

export interface Rauta {
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly adminPort: number;
  readonly protocols: Protocols;
  readonly routes: RouteState;
  readonly reconciler: Reconciler;
  readonly telemetry: Telemetry;
  readonly backends: BackendsViewDeps;
  readonly health: BackendHealth;
  /** Graceful: readiness off, stop accepting, let in-flight requests finish within the grace period. */
  shutdown(): Promise<void>;
}


function createSource(config: Config, logger: Logger, kube: KubernetesMode | undefined, telemetry: Telemetry, rejections: SourceRejections): Source {
  if (kube !== undefined) return kube.source;
  return new FileSource({
    path: config.config ?? '', logger, debounceMs: config.configDebounceMs, maxDebounceMs: config.configMaxDebounceMs,
    onRejected: (r) => {
      rejections.reject(r);
      telemetry.configReloadFailed();
    },
  });
}

/** One process of several (src/workers/): what it leaves to the others. Absent: one process does everything. */
export interface StartRole {
  /**
   * A data-plane worker: route tables come from `tables` (translated once, by the primary); no source,
   * no Kubernetes status or control events, no admin listener; traffic ports shared (reusePort).
   */
  readonly dataPlane?: { readonly tables: TableFeed; readonly httpPort?: number; readonly httpsPort?: number };
  /** The primary of data-plane workers: no traffic listeners; admin views that cover the workers. */
  readonly controlPlane?: { readonly views: (own: AdminViews) => AdminViews };
}

/** Wires sources → translation → route table → proxy → telemetry. No logic of its own. */
export async function startRauta(config: Config, logger: Logger, role: StartRole = {}): Promise<Rauta> {
  const routes = new RouteState(RouteTable.empty());
  const inFlight = new InFlight();
  // A data-plane worker's active-probe results come from the primary (one set of probes per pod).
  const balancing = startLoadBalancing(config, { routes, inFlight, logger, probes: role.dataPlane === undefined });
  const admin = new AdminServer(logger);
  // A control plane of several workers serves no traffic: its telemetry thread starts only if needed (NATS events).
  const telemetry = startTelemetry(config, logger, { lazyThread: role.controlPlane !== undefined });
  balancing.onHealthChange((e) => telemetry.backendHealthChanged(e));
  telemetry.trackBackends(() => routes.table, balancing.health);
  // Loaded only in Kubernetes mode: @kubernetes/client-node alone is ~87 MB of RSS (36 MB heap) at start.
  const kube = config.config === undefined && role.dataPlane === undefined ? (await import('./control/kubernetes-mode.ts')).kubernetesMode(config, logger) : undefined;
  const translateOptions = {
    ingressClass: config.ingressClass,
    controllerName: config.controllerName,
    gatewayControllerName: config.gatewayControllerName,
    defaultCertificate: config.defaultCertificate,
    watchIngressNginx: config.watchIngressNginx,
    annotationsPrefix: config.annotationsPrefix,
    allowedResponseHeaders: config.allowedResponseHeaders,
  };
  // Sources' snapshots are translated in a thread of their own: never on the loop that serves requests.
  const thread = role.dataPlane === undefined ? new TranslateThread(translateOptions) : undefined;
  const reconciler = new Reconciler(routes, { ...translateOptions, thread, onFailure: () => telemetry.configReloadFailed() }, logger);
  const protocols = await createProtocols(config, routes, logger);
  // Balancer, health and certificates joined in their constructors; every party follows the same swap.
  if (role.dataPlane === undefined) routes.participate(telemetry.swapParticipant);
  if (kube !== undefined) routes.participate(kube.status.participant);
  telemetry.trackHandshakeFailures(protocols.handshakeFailures);
  const active = new ActiveRequests();
  let draining = false;

  const upstream = createUpstreamClient({
    connectTimeoutMs: config.upstreamConnectTimeoutSeconds * 1000,
    idleTimeoutMs: config.upstreamIdleTimeoutSeconds * 1000,
    maxConnectionsPerEndpoint: config.upstreamMaxConnectionsPerEndpoint,
  });
  const mirror = createMirror({ table: () => routes.table, dispatcher: upstream, timeoutMs: config.upstreamResponseTimeoutSeconds * 1000 });
  const policy = new PolicyRuntime({ idleTimeoutMs: config.upstreamIdleTimeoutSeconds * 1000, mirror });
  const deps: ProxyDeps = {
    routes,
    policy,
    balancer: balancing.balancer,
    health: balancing.health,
    retryBudgetMs: balancing.retryBudgetMs,
    observer: telemetry.observer,
    upstream,
    inFlight,
    active,
    connectTimeoutMs: config.upstreamConnectTimeoutSeconds * 1000,
    responseTimeoutMs: config.upstreamResponseTimeoutSeconds * 1000,
    draining: () => draining,
    forwardH2c: protocols.forwardH2c,
    slots: new EndpointSlots({ maxConnections: config.upstreamMaxConnectionsPerEndpoint, maxPending: config.upstreamMaxPendingPerEndpoint }),
    clientBodyTimeoutMs: config.clientBodyTimeoutSeconds * 1000,
    clientBodyMinBytesPerSecond: config.clientBodyMinBytesPerSecond,
    clientWriteTimeoutMs: config.clientWriteTimeoutSeconds * 1000,
  };

  const rejections = new SourceRejections();
  const source = createSource(config, logger, kube, telemetry, rejections);
  const views: AdminViews = {
    config,
    table: () => routes.table,
    applied: () => reconciler.current,
    failure: () => ({ total: reconciler.failures, last: reconciler.lastFailure }),
    rejected: () => rejections.last,
    notReady: () => (draining ? 'shutting down' : routes.applied ? undefined : 'waiting for the first complete configuration'),
    backends: { health: balancing.health, inFlight },
    metrics: () => telemetry.renderMetrics(),
    requests: { ring: telemetry.ring, feed: telemetry.feed },
    telemetry: telemetry.status,
  };
  const adminRoutes = registerAdminRoutes(admin, role.controlPlane?.views(views) ?? views, logger);

  const http = createHttpServer(deps, {
    maxHeaderSize: config.maxHeaderSize,
    headersTimeoutMs: config.clientHeaderTimeoutSeconds * 1000,
    keepAliveTimeoutMs: config.clientIdleTimeoutSeconds * 1000,
  });

  let adminPort: number;
  let httpPort: number;
  let httpsPort: number;
  try {
    const worker = role.dataPlane;
    adminPort = worker !== undefined ? 0 : await listenOn(admin.server, config.adminPort, config.adminBindAddress, { what: 'admin', port: settings.adminPort, address: settings.adminBindAddress });
    kube?.status.start();
    // A snapshot that leaves the table unchanged can still matter for status (publish Service, overwritten status).
    if (worker !== undefined) await worker.tables.start((change) => routes.swap(change));
    else {
      await source.start((objects) => {
        rejections.accepted();
        reconciler.submit(objects);
        kube?.status.observe(objects);
      });
      // The first table is live before the listeners open.
      await reconciler.settled();
    }
    if (role.controlPlane !== undefined) {
      httpPort = 0;
      httpsPort = 0;
    } else {
      const plain = protocols.plain(http, deps);
      telemetry.trackConnections(plain);
      httpPort = await listenOn(plain, worker?.httpPort ?? config.httpPort, config.bindAddress, { what: 'HTTP', port: settings.httpPort, address: settings.bindAddress }, worker !== undefined);
      httpsPort = await protocols.listenHttps(deps, telemetry.trackConnections, { port: worker?.httpsPort, reusePort: worker !== undefined });
    }
  } catch (err) {
    // A failed start must not leave listeners, timers or connections behind (embedders, tests).
    protocols.stopAccepting();
    protocols.close();
    http.close();
    await source.stop().catch(() => {});
    await thread?.close();
    await kube?.status.stop().catch(() => {});
    balancing.stop();
    await upstream.destroy().catch(() => {});
    await policy.close();
    adminRoutes.endStreams();
    await telemetry.stop();
    admin.server.close();
    admin.server.closeAllConnections();
    throw err;
  }
  // Only a process with an admin listener can expose it.
  if (role.dataPlane === undefined) warnIfAdminExposed(config, adminPort, logger);
  // With workers, the primary says "rauta listening" once they all serve (src/workers/cluster.ts).
  const listening = role.dataPlane !== undefined ? 'worker listening' : role.controlPlane !== undefined ? 'control plane listening' : 'rauta listening';
  logger.info({ http: `${config.bindAddress}:${httpPort}`, https: `${config.bindAddress}:${httpsPort}`, admin: `${config.adminBindAddress}:${adminPort}`, mode: config.config ? 'standalone' : 'kubernetes' }, listening);

  let shutdownPromise: Promise<void> | undefined;
  const shutdown = () => {
    shutdownPromise ??= (async () => {
      draining = true;
      logger.info({ in_flight: active.size, grace_s: config.shutdownGraceSeconds }, 'shutting down: no new connections, draining');
      http.close();
      protocols.stopAccepting();
      http.closeIdleConnections();
      const idleTicker = setInterval(() => http.closeIdleConnections(), 100);
      const drained = await active.waitIdle(config.shutdownGraceSeconds * 1000);
      clearInterval(idleTicker);
      if (!drained) logger.warn({ in_flight: active.size }, 'grace period over; closing remaining connections');
      http.closeAllConnections();
      protocols.close();
      await kube?.status.stop();
      await source.stop();
      await reconciler.settled();
      await thread?.close();
      balancing.stop();
      await upstream.destroy();
      await policy.close();
      adminRoutes.endStreams();
      await telemetry.stop();
      admin.server.close();
      admin.server.closeAllConnections();
      logger.info('stopped');
    })();
    return shutdownPromise;
  };

  return { httpPort, httpsPort, adminPort, protocols, routes, reconciler, telemetry, backends: views.backends, health: balancing.health, shutdown };
}
