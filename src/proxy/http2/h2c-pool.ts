import { type ClientHttp2Session, type SecureClientSessionOptions, connect } from 'node:http2';
import type { Endpoint } from '../../routing/types.ts';

export interface H2cPoolOptions {
  /** Idle time after which a pooled session is closed (GOAWAY). */
  readonly idleTimeoutMs: number;
}

/**
 * One HTTP/2 cleartext session per endpoint, shared by every request to it (HTTP/2 multiplexes, so one
 * connection is enough). A session that closes, errors or receives GOAWAY is forgotten; the next
 * request opens a new one.
 */
export class H2cPool {
  private readonly sessions = new Map<string, ClientHttp2Session>();
  private readonly opts: H2cPoolOptions;

  constructor(opts: H2cPoolOptions) {
    this.opts = opts;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** `tls`: HTTP/2 over TLS to the pod (gRPC over TLS), pooled apart from cleartext sessions by `tls.id`. */
  session(endpoint: Endpoint, tls?: { readonly id: string; readonly options: SecureClientSessionOptions }): ClientHttp2Session {
    const key = tls === undefined ? endpoint.key : `${endpoint.key}|${tls.id}`;
    const existing = this.sessions.get(key);
    if (existing !== undefined && !existing.closed && !existing.destroyed) return existing;
    const host = endpoint.ip.includes(':') ? `[${endpoint.ip}]` : endpoint.ip;
    const session = tls === undefined ? connect(`http://${host}:${endpoint.port}`) : connect(`https://${host}:${endpoint.port}`, tls.options);
    const forget = () => {
      if (this.sessions.get(key) === session) this.sessions.delete(key);
    };
    session.once('close', forget);
    session.once('goaway', forget);
    // Stream-level listeners see the error; without this one an unreachable pod would crash the process.
    session.on('error', forget);
    session.setTimeout(this.opts.idleTimeoutMs, () => session.close());
    this.sessions.set(key, session);
    return session;
  }

  close(): void {
    for (const s of this.sessions.values()) s.close();
    this.sessions.clear();
  }
}
