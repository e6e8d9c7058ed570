import { checkServerIdentity } from 'node:tls';
import type { SecureClientSessionOptions } from 'node:http2';
import { Agent, type Dispatcher } from 'undici';
import type { MirrorOp, UpstreamTlsOp } from '../../routing/policy.ts';
import { CompileCache } from './compile.ts';
import type { PolicyContext } from './context.ts';
import { PasswordCache } from './htpasswd.ts';
import { Limits } from './limits.ts';

export interface PolicyRuntimeOptions {
  readonly idleTimeoutMs: number;
  /** Mirrors: sends a copy of a request (fire and forget). Absent: mirrors are skipped. */
  readonly mirror?: (op: MirrorOp, ctx: PolicyContext) => void;
}

/** Most distinct upstream clients (TLS settings × connect timeout) kept; beyond it the oldest is closed. */
const MAX_CLIENTS = 256;

/**
 * The data plane's state for traffic policy: compiled matchers, limit counters, verified passwords and
 * the extra upstream clients some routes need. One per proxy; no module globals.
 */
export class PolicyRuntime {
  readonly compiled = new CompileCache();
  readonly limits = new Limits();
  readonly passwordCache = new PasswordCache();
  /** Forward-auth subrequests: their own pool, so a slow auth service never starves forwarding. */
  readonly authClient: Dispatcher;
  private readonly clients = new Map<string, Agent>();
  private readonly o: PolicyRuntimeOptions;

  constructor(o: PolicyRuntimeOptions) {
    this.o = o;
    this.authClient = new Agent({ keepAliveTimeout: o.idleTimeoutMs, keepAliveMaxTimeout: o.idleTimeoutMs, connections: 64 });
  }

  mirror(op: MirrorOp, ctx: PolicyContext): void {
    this.o.mirror?.(op, ctx);
  }

  /** An undici client for routes with upstream TLS or their own connect timeout, shared by equal settings. */
  dispatcherFor(tls: UpstreamTlsOp | undefined, connectTimeoutMs: number): Dispatcher {
    const key = JSON.stringify([tls ?? null, connectTimeoutMs]);
    let agent = this.clients.get(key);
    if (agent !== undefined) return agent;
    if (this.clients.size >= MAX_CLIENTS) {
      const [oldKey, old] = this.clients.entries().next().value as [string, Agent];
      this.clients.delete(oldKey);
      void old.close().catch(() => {});
    }
    const serverName = tls?.serverName;
    agent = new Agent({
      connections: null,
      pipelining: 1,
      keepAliveTimeout: this.o.idleTimeoutMs,
      keepAliveMaxTimeout: this.o.idleTimeoutMs,
      connect: {
        timeout: connectTimeoutMs,
        noDelay: true,
        ...(tls === undefined ? {} : {
          rejectUnauthorized: tls.verify,
          ca: tls.caPem,
          cert: tls.certPem,
          key: tls.keyPem,
          servername: tls.sni ? serverName : undefined,
          // The pod is dialled by address: the certificate is checked against the configured name.
          checkServerIdentity: (host: string, cert: Parameters<typeof checkServerIdentity>[1]) => checkServerIdentity(serverName ?? host, cert),
        }),
      },
    });
    this.clients.set(key, agent);
    return agent;
  }

  /** HTTP/2 session options for TLS to the pod, the same checks as dispatcherFor (ALPN h2). */
  h2TlsFor(tls: UpstreamTlsOp): { readonly id: string; readonly options: SecureClientSessionOptions } {
    return this.compiled.get(tls, (t) => {
      const serverName = t.serverName;
      return {
        id: JSON.stringify(t),
        options: {
          rejectUnauthorized: t.verify, ca: t.caPem, cert: t.certPem, key: t.keyPem,
          servername: t.sni ? serverName : undefined,
          checkServerIdentity: (host: string, cert: Parameters<typeof checkServerIdentity>[1]) => checkServerIdentity(serverName ?? host, cert),
          ALPNProtocols: ['h2'],
        },
      };
    });
  }

  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.allSettled([...all.map((a) => a.close()), (this.authClient as Agent).close()]);
  }
}
