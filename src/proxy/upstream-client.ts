import { Agent, type Dispatcher } from 'undici';

export interface UpstreamClientOptions {
  readonly connectTimeoutMs: number;
  /** Idle time of a pooled backend connection; keep it below the backends' own keep-alive timeout. */
  readonly idleTimeoutMs: number;
  /** Connections per endpoint; the pipeline's EndpointSlots keeps attempts within it and queues the rest. */
  readonly maxConnectionsPerEndpoint?: number;
}

/**
 * The client RAUTA forwards with: undici's Agent, one keep-alive pool per endpoint (`ip:port`), capped
 * at RAUTA_UPSTREAM_MAX_CONNECTIONS_PER_ENDPOINT (the bounded queue and the 503 are EndpointSlots'; this
 * cap only stops undici opening a fresh connection while a just-released one is being returned to the
 * pool), no pipelining (a backend that closes a connection can then only lose the one request on it,
 * which the retry logic knows how to judge).
 */
export function createUpstreamClient(o: UpstreamClientOptions): Dispatcher {
  return new Agent({
    connections: o.maxConnectionsPerEndpoint ?? null,
    pipelining: 1,
    keepAliveTimeout: o.idleTimeoutMs,
    keepAliveMaxTimeout: o.idleTimeoutMs,
    connect: { timeout: o.connectTimeoutMs, noDelay: true },
  });
}
