import type { Server } from 'node:http';
import type { Config } from '../config/settings.ts';
import type { RouteState } from '../routing/route-state.ts';
import type { ActiveRequests } from './active-requests.ts';
import { EndpointSlots } from './endpoint-slots.ts';
import type { ProxyDeps } from './http1-handler.ts';
import { createHttpServer } from './http-server.ts';
import type { InFlight } from './in-flight.ts';
import type { LoadBalancing } from './load-balancing.ts';
import { createMirror } from './policy/mirror.ts';
import { PolicyRuntime } from './policy/runtime.ts';
import type { Protocols } from './protocols.ts';
import type { RequestObserver } from './request-record.ts';
import { createUpstreamClient } from './upstream-client.ts';

/** What serves traffic: the upstream client (undici), the policy runtime and the HTTP/1 server. */
export interface DataPlane {
  readonly deps: ProxyDeps;
  readonly http: Server;
  /** Closes upstream connections and the policy runtime's clients. */
  destroy(): Promise<void>;
}

/** Loaded (dynamic import) only by a process that serves traffic: a control plane of workers never does. */
export function createDataPlane(config: Config, parts: {
  readonly routes: RouteState; readonly balancing: LoadBalancing; readonly observer: RequestObserver; readonly inFlight: InFlight;
  readonly active: ActiveRequests; readonly protocols: Protocols; readonly draining: () => boolean;
}): DataPlane {
  const upstream = createUpstreamClient({
    connectTimeoutMs: config.upstreamConnectTimeoutSeconds * 1000,
    idleTimeoutMs: config.upstreamIdleTimeoutSeconds * 1000,
    maxConnectionsPerEndpoint: config.upstreamMaxConnectionsPerEndpoint,
  });
  const mirror = createMirror({ table: () => parts.routes.table, dispatcher: upstream, timeoutMs: config.upstreamResponseTimeoutSeconds * 1000 });
  const policy = new PolicyRuntime({ idleTimeoutMs: config.upstreamIdleTimeoutSeconds * 1000, mirror });
  const deps: ProxyDeps = {
    routes: parts.routes,
    policy,
    balancer: parts.balancing.balancer,
    health: parts.balancing.health,
    retryBudgetMs: parts.balancing.retryBudgetMs,
    observer: parts.observer,
    upstream,
    inFlight: parts.inFlight,
    active: parts.active,
    connectTimeoutMs: config.upstreamConnectTimeoutSeconds * 1000,
    responseTimeoutMs: config.upstreamResponseTimeoutSeconds * 1000,
    draining: parts.draining,
    forwardH2c: parts.protocols.forwardH2c,
    slots: new EndpointSlots({ maxConnections: config.upstreamMaxConnectionsPerEndpoint, maxPending: config.upstreamMaxPendingPerEndpoint }),
    clientBodyTimeoutMs: config.clientBodyTimeoutSeconds * 1000,
    clientBodyMinBytesPerSecond: config.clientBodyMinBytesPerSecond,
    clientWriteTimeoutMs: config.clientWriteTimeoutSeconds * 1000,
  };
  const http = createHttpServer(deps, {
    maxHeaderSize: config.maxHeaderSize,
    headersTimeoutMs: config.clientHeaderTimeoutSeconds * 1000,
    keepAliveTimeoutMs: config.clientIdleTimeoutSeconds * 1000,
  });
  return {
    deps,
    http,
    async destroy() {
      await upstream.destroy();
      await policy.close();
    },
  };
}
