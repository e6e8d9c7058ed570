import { Agent, type Dispatcher } from 'undici';

export interface UpstreamClientOptions {
  readonly connectTimeoutMs: number;
  /** Idle time of a pooled backend connection; keep it below the backends' own keep-alive timeout. */
  readonly idleTimeoutMs: number;
}

/**
 * The client RAUTA forwards with: undici's Agent, one keep-alive pool per endpoint (`ip:port`), no
 * per-origin connection cap (like the http.Agent it replaced), no pipelining (a backend that closes a
 * connection can then only lose the one request on it, which the retry logic knows how to judge).
 */
export function createUpstreamClient(o: UpstreamClientOptions): Dispatcher {
  return new Agent({
    connections: null,
    pipelining: 1,
    keepAliveTimeout: o.idleTimeoutMs,
    keepAliveMaxTimeout: o.idleTimeoutMs,
    connect: { timeout: o.connectTimeoutMs, noDelay: true },
  });
}
