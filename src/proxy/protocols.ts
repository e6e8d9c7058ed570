import type { Server as HttpServer } from 'node:http';
import type { Http2SecureServer, Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Server } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { type Config, settings } from '../config/settings.ts';
import { listenOn } from '../listen.ts';
import type { DownstreamRequest, DownstreamResponse } from './downstream.ts';
import type { AttemptOptions, AttemptResult } from './forward.ts';
import type { ProxyDeps } from './http1-handler.ts';
import type { ServingModules } from './serving.ts';
import { Http2Sessions } from './http2/reset-guard.ts';
import type { RouteState } from '../routing/route-state.ts';
import { CertificateStore, type PemPair } from './tls/certificate-store.ts';
import { HandshakeFailures } from './tls/handshake-failures.ts';
import { selfSignedCertificate } from './tls/self-signed.ts';
import { TLS_CONTEXT_OPTIONS } from '../routing/tls-profile.ts';

/** Everything beyond plain HTTP/1.1: TLS + SNI, HTTP/2 (TLS and h2c), WebSocket tunnels, h2c/gRPC backends. */
export interface Protocols {
  readonly certificates: CertificateStore;
  /** For telemetry: failed TLS handshakes (total, by reason, and a listener). */
  readonly handshakeFailures: HandshakeFailures;
  /** For telemetry: HTTP/2 connections, and how many were closed for rapid resets. */
  readonly http2Sessions: Http2Sessions;
  /** Goes into ProxyDeps: forwarding for h2c/grpc routes. */
  readonly forwardH2c: (o: AttemptOptions) => Promise<AttemptResult>;
  /** Adds WebSocket tunnels (and h2c when RAUTA_H2C) to the plain listener; returns the server to listen on. */
  plain(http: HttpServer, deps: ProxyDeps): Server;
  /** Starts the HTTPS listener on RAUTA_HTTPS_PORT; resolves to the bound port. `track` sees the server before it listens. */
  listenHttps(deps: ProxyDeps, track?: (server: Server) => void, opts?: { readonly port?: number; readonly reusePort?: boolean }): Promise<number>;
  /** Shutdown, step 1: stop accepting; HTTP/2 clients get GOAWAY, streams in flight continue. */
  stopAccepting(): void;
  /** Shutdown, step 2 (grace period over): cut what is left — tunnels, sessions, backend sessions. */
  close(): void;
}

/**
 * `startup`: the certificate for unknown SNI until a table names one (a worker gets the primary's); else
 * one is made. Without `serving` (a control plane of several workers): certificates are checked on
 * every swap, but nothing listens or forwards.
 */
export async function createProtocols(config: Config, routes: RouteState, logger: Logger, startup?: PemPair, serving?: ServingModules): Promise<Protocols> {
  const log = logger.child({ component: 'protocols' });
  const certificates = new CertificateStore(startup ?? (await selfSignedCertificate()));
  const handshakeFailures = new HandshakeFailures();
  const http2Sessions = new Http2Sessions({
    maxResets: config.h2MaxResetsPer10s,
    maxResetsPerClient: config.h2MaxResetsPerClientPer10s,
    windowMs: 10_000,
    idleTimeoutMs: config.clientIdleTimeoutSeconds * 1000,
    onAbuse: (s) => log.warn({ client: s.socket?.remoteAddress }, 'HTTP/2 connection closed: too many stream resets (CVE-2023-44487 guard)'),
  });
  const m = serving;
  const need = (): ServingModules => {
    if (m === undefined) throw new Error('this process serves no traffic');
    return m;
  };
  const tunnels = m === undefined ? undefined : new m.Tunnels();
  const pool = m === undefined ? undefined : new m.H2cPool({ idleTimeoutMs: config.upstreamIdleTimeoutSeconds * 1000 });
  const upgrades = (deps: ProxyDeps, scheme: 'http' | 'https') => {
    if (tunnels === undefined) throw new Error('this process serves no traffic');
    return need().createUpgradeHandler(deps, { idleTimeoutMs: config.websocketIdleTimeoutSeconds * 1000, tunnels }, scheme);
  };
  const limits = { maxConcurrentStreams: config.h2MaxConcurrentStreams, maxHeaderListSize: config.h2MaxHeaderListSize };
  let https: Http2SecureServer | undefined;
  const servers: { close(): void }[] = [];
  const tlsConnections = new Set<TLSSocket>();

  certificates.update(routes.table);
  routes.participate({
    name: 'TLS certificates',
    prepare({ table }) {
      const before = certificates.defaultPem;
      const commit = certificates.prepare(table);
      return () => {
        commit();
        // Clients without SNI use the listener's own context: keep it on the default certificate. The
        // store compiled this pair in prepare, so compiling it again here cannot fail.
        const after = certificates.defaultPem;
        if (https !== undefined && after !== before) https.setSecureContext({ ...TLS_CONTEXT_OPTIONS, cert: after.cert, key: after.key });
      };
    },
  });

  return {
    certificates,
    handshakeFailures,
    http2Sessions,
    forwardH2c: (o) => {
      if (pool === undefined) throw new Error('this process serves no traffic');
      return need().forwardH2cAttempt(pool, o);
    },
    plain(http, deps) {
      const { createH2cFront, createH2cServer, createHttp1Handler, isWebSocketUpgrade } = need();
      Object.assign(http, { shouldUpgradeCallback: isWebSocketUpgrade });
      http.on('upgrade', upgrades(deps, 'http'));
      if (!config.h2c) return http;
      const handler = createHttp1Handler(deps, 'http');
      const h2c = createH2cServer({ settings: { ...limits, enablePush: false } }, (req: Http2ServerRequest, res: Http2ServerResponse) =>
        handler(req as DownstreamRequest, res as DownstreamResponse));
      // Without a listener the compatibility API answers CONNECT 405 itself, with no event.
      h2c.on('connect', (req: Http2ServerRequest, res: Http2ServerResponse) => handler(req as DownstreamRequest, res as DownstreamResponse));
      http2Sessions.attach(h2c);
      const front = createH2cFront(http, h2c, config.clientHeaderTimeoutSeconds * 1000);
      servers.push(front, h2c);
      return front;
    },
    listenHttps(deps, track, opts) {
      const server = need().createHttpsServer(deps, {
        store: certificates,
        failures: handshakeFailures,
        sessions: http2Sessions,
        limits,
        keepAliveTimeoutMs: config.clientIdleTimeoutSeconds * 1000,
        headersTimeoutMs: config.clientHeaderTimeoutSeconds * 1000,
        handshakeTimeoutMs: config.tlsHandshakeTimeoutSeconds * 1000,
        maxHeaderSize: config.maxHeaderSize,
        onUpgrade: upgrades(deps, 'https'),
        connections: tlsConnections,
      });
      https = server;
      servers.push(server);
      track?.(server);
      return listenOn(server, opts?.port ?? config.httpsPort, config.bindAddress, { what: 'HTTPS', port: settings.httpsPort, address: settings.bindAddress }, opts?.reusePort === true);
    },
    stopAccepting() {
      for (const s of servers) s.close();
      http2Sessions.closeAll();
    },
    close() {
      tunnels?.destroyAll();
      http2Sessions.destroyAll();
      for (const c of tlsConnections) c.destroy();
      pool?.close();
    },
  };
}
