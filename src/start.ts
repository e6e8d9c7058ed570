import type { Logger } from 'pino';
import type { AdminViews } from './admin/admin-routes.ts';
import type { BackendsViewDeps } from './admin/backends-view.ts';
import type { BackendHealth } from './proxy/health/backend-health.ts';
import type { PemPair } from './proxy/tls/certificate-store.ts';
import { AdminServer } from './admin/admin-server.ts';
import { warnIfAdminExposed } from './admin/exposure.ts';
import { type Config, settings } from './config/settings.ts';
import { listenOn } from './listen.ts';
import { ActiveRequests } from './proxy/active-requests.ts';
import type { DataPlane } from './proxy/data-plane.ts';
import type { ServingModules } from './proxy/serving.ts';
import type { KubernetesMode } from './control/kubernetes-mode.ts';
import { InFlight } from './proxy/in-flight.ts';
import { startLoadBalancing } from './proxy/load-balancing.ts';
import { type Protocols, createProtocols } from './proxy/protocols.ts';
import { RouteState } from './routing/route-state.ts';
import { SourceRejections } from './control/source-rejections.ts';
import { Reconciler } from './control/reconciler.ts';
import { TranslateThread } from './control/translate-thread.ts';
import { RouteTable } from './routing/route-table.ts';
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
  /** Requests in flight per endpoint (a worker reports the busy ones to the primary). */
  readonly inFlight: InFlight;
  /** Graceful: readiness off, stop accepting, let in-flight requests finish within the grace period. */
  shutdown(): Promise<void>;
}


async function createSource(config: Config, logger: Logger, kube: KubernetesMode | undefined, telemetry: Telemetry, rejections: SourceRejections): Promise<Source> {
  if (kube !== undefined) return kube.source;
  // Loaded only where configuration is read (not in a data-plane worker): yaml and the parser thread's client.
  const { FileSource } = await import('./sources/file/file-source.ts');
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
  /** The start-up certificate for unknown SNI (the pod's, made by the primary); absent: one is made here. */
  readonly certificate?: PemPair;
}

/**
 * Wires sources → translation → route table → proxy → telemetry. No logic of its own. `serving`: the
 * modules that serve traffic, passed by the entry point of a process that serves (main.ts, a worker);
 * the primary of several workers passes none and so never loads them (undici, the HTTP/1 and HTTP/2
 * handlers, the TLS listener…).
 */
export async function startCore(config: Config, logger: Logger, role: StartRole, serving: ServingModules | undefined): Promise<Rauta> {
  const routes = new RouteState(RouteTable.empty());
  const inFlight = new InFlight();
  // A data-plane worker's active-probe results come from the primary (one set of probes per pod).
  const balancing = startLoadBalancing(config, { routes, inFlight, logger, probes: role.dataPlane === undefined });
  // A data-plane worker has no admin listener: the primary answers for it (its views query the workers).
  const admin = role.dataPlane === undefined ? new AdminServer(logger) : undefined;
  // A control plane of several workers serves no traffic: its telemetry thread starts only if needed (NATS events).
  const telemetry = await startTelemetry(config, logger, { lazyThread: role.controlPlane !== undefined });
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
  // A control plane of several workers (no `serving`) checks certificates on every swap, and serves nothing.
  const protocols = await createProtocols(config, routes, logger, role.certificate, serving);
  // Balancer, health and certificates joined in their constructors; every party follows the same swap.
  if (role.dataPlane === undefined) routes.participate(telemetry.swapParticipant);
  if (kube !== undefined) routes.participate(kube.status.participant);
  telemetry.trackHandshakeFailures(protocols.handshakeFailures);
  const active = new ActiveRequests();
  let draining = false;

  const plane: DataPlane | undefined = serving?.createDataPlane(config, {
    routes, balancing, observer: telemetry.observer, inFlight, active, protocols, draining: () => draining,
  });

  const rejections = new SourceRejections();
  // A data-plane worker reads no configuration: its tables come from the primary.
  const source = role.dataPlane !== undefined ? undefined : await createSource(config, logger, kube, telemetry, rejections);
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
  const adminRoutes = admin === undefined ? undefined : (await import('./admin/admin-routes.ts')).registerAdminRoutes(admin, role.controlPlane?.views(views) ?? views, logger);

  let adminPort: number;
  let httpPort: number;
  let httpsPort: number;
  try {
    const worker = role.dataPlane;
    adminPort = admin === undefined ? 0 : await listenOn(admin.server, config.adminPort, config.adminBindAddress, { what: 'admin', port: settings.adminPort, address: settings.adminBindAddress });
    kube?.status.start();
    // A snapshot that leaves the table unchanged can still matter for status (publish Service, overwritten status).
    if (worker !== undefined) await worker.tables.start((change) => routes.swap(change));
    else {
      await source?.start((objects) => {
        rejections.accepted();
        reconciler.submit(objects);
        kube?.status.observe(objects);
      });
      // The first table is live before the listeners open.
      await reconciler.settled();
    }
    if (plane === undefined) {
      httpPort = 0;
      httpsPort = 0;
    } else {
      const { http, deps } = plane;
      const plain = protocols.plain(http, deps);
      telemetry.trackConnections(plain);
      httpPort = await listenOn(plain, worker?.httpPort ?? config.httpPort, config.bindAddress, { what: 'HTTP', port: settings.httpPort, address: settings.bindAddress }, worker !== undefined);
      httpsPort = await protocols.listenHttps(deps, telemetry.trackConnections, { port: worker?.httpsPort, reusePort: worker !== undefined });
    }
  } catch (err) {
    // A failed start must not leave listeners, timers or connections behind (embedders, tests).
    protocols.stopAccepting();
    protocols.close();
    plane?.http.close();
    await source?.stop().catch(() => {});
    await thread?.close();
    await kube?.status.stop().catch(() => {});
    balancing.stop();
    await plane?.destroy().catch(() => {});
    adminRoutes?.endStreams();
    await telemetry.stop();
    admin?.server.close();
    admin?.server.closeAllConnections();
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
      plane?.http.close();
      protocols.stopAccepting();
      plane?.http.closeIdleConnections();
      const idleTicker = setInterval(() => plane?.http.closeIdleConnections(), 100);
      const drained = await active.waitIdle(config.shutdownGraceSeconds * 1000);
      clearInterval(idleTicker);
      if (!drained) logger.warn({ in_flight: active.size }, 'grace period over; closing remaining connections');
      plane?.http.closeAllConnections();
      protocols.close();
      await kube?.status.stop();
      await source?.stop();
      await reconciler.settled();
      await thread?.close();
      balancing.stop();
      await plane?.destroy();
      adminRoutes?.endStreams();
      await telemetry.stop();
      admin?.server.close();
      admin?.server.closeAllConnections();
      logger.info('stopped');
    })();
    return shutdownPromise;
  };

  return { httpPort, httpsPort, adminPort, protocols, routes, reconciler, telemetry, backends: views.backends, health: balancing.health, inFlight, shutdown };
}
