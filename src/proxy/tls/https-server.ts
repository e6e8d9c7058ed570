import type { IncomingMessage } from 'node:http';
import { type Http2SecureServer, type Http2ServerRequest, Http2ServerResponse, createSecureServer } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { SecureContext, TLSSocket } from 'node:tls';
import type { DownstreamRequest, DownstreamResponse } from '../downstream.ts';
import { type ProxyDeps, createConnectHandler, createHttp1Handler } from '../http1-handler.ts';
import type { Http2Sessions } from '../http2/reset-guard.ts';
import { isWebSocketUpgrade } from '../websocket/tunnel.ts';
import type { CertificateStore } from './certificate-store.ts';
import type { HandshakeFailures } from './handshake-failures.ts';
import { TLS_CONTEXT_OPTIONS } from '../../routing/tls-profile.ts';

export interface Http2Limits {
  readonly maxConcurrentStreams: number;
  readonly maxHeaderListSize: number;
}

export interface HttpsServerOptions {
  readonly store: CertificateStore;
  readonly failures: HandshakeFailures;
  readonly sessions: Http2Sessions;
  readonly limits: Http2Limits;
  readonly keepAliveTimeoutMs: number;
  readonly headersTimeoutMs: number;
  /** Time a client has to complete the TLS handshake (Node's default is 120 s). */
  readonly handshakeTimeoutMs: number;
  /** RAUTA_MAX_HEADER_SIZE, for HTTP/1.1 over TLS (HTTP/2 has its own header list limit). */
  readonly maxHeaderSize: number;
  readonly onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Every open TLS connection, so shutdown can cut HTTP/1.1 keep-alive ones when the grace ends. */
  readonly connections: Set<TLSSocket>;
}

/** The parts of Node's TLSSocket that decide whether (and how) a client certificate is asked for. */
interface VerifyControls {
  _requestCert?: boolean;
  _rejectUnauthorized?: boolean;
  _handle?: { setVerifyMode?: (request: boolean, reject: boolean) => void } | null;
}

/**
 * Asks this connection's client for a certificate (auth-tls-*). Node has no public per-SNI switch for
 * it (nginx sets it per server block from the SNI callback too): the server-wide `requestCert` would
 * make every host's clients pick a certificate. OpenSSL verifies the chain against the CA of the
 * context the SNI callback returns; the handshake never fails on it (the route answers 400, as nginx).
 * When Node's internals differ, nothing is asked for and routes that require a certificate refuse.
 */
function askForClientCertificate(socket: TLSSocket): void {
  const s = socket as unknown as VerifyControls;
  if (typeof s._handle?.setVerifyMode !== 'function') return;
  s._requestCert = true;
  s._rejectUnauthorized = false;
  s._handle.setVerifyMode(true, false);
}

/**
 * The HTTPS listener: one TLS port negotiating `h2` or `http/1.1` by ALPN. The certificate is picked
 * per handshake by SNI from the CertificateStore; HTTP/2 and HTTP/1.1 requests both run the same
 * pipeline (scheme https, so X-Forwarded-Proto: https), and HTTP/1.1 WebSocket upgrades become tunnels.
 */
export function createHttpsServer(deps: ProxyDeps, o: HttpsServerOptions): Http2SecureServer {
  const handler = createHttp1Handler(deps, 'https');
  const server = createSecureServer({
    ...TLS_CONTEXT_OPTIONS,
    allowHTTP1: true,
    // Clients without SNI get the default certificate: the listener's own context.
    cert: o.store.defaultPem.cert,
    key: o.store.defaultPem.key,
    // `this` is the connection's TLSSocket (Node calls the callback as its method).
    SNICallback(this: TLSSocket, servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) {
      const auth = o.store.clientAuthFor(servername);
      if (auth !== undefined) askForClientCertificate(this);
      cb(null, auth?.context ?? o.store.contextFor(servername));
    },
    settings: {
      maxConcurrentStreams: o.limits.maxConcurrentStreams,
      maxHeaderListSize: o.limits.maxHeaderListSize,
      enablePush: false,
    },
    handshakeTimeout: o.handshakeTimeoutMs,
    maxSessionRejectedStreams: 100,
    maxSessionInvalidFrames: 1000,
  }, (req: Http2ServerRequest, res: Http2ServerResponse) => handler(req as DownstreamRequest, res as DownstreamResponse));
  // With allowHTTP1 the HTTP/1.1 side reads its settings from the server object (the options are not
  // copied over, and the typings omit them). shouldUpgradeCallback: only WebSocket upgrades become
  // 'upgrade' events; any other Upgrade request is served as a plain request.
  Object.assign(server, {
    keepAliveTimeout: o.keepAliveTimeoutMs,
    headersTimeout: o.headersTimeoutMs,
    maxHeaderSize: o.maxHeaderSize,
    requireHostHeader: false,
    shouldUpgradeCallback: isWebSocketUpgrade,
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    o.connections.add(socket);
    socket.once('close', () => o.connections.delete(socket));
  });
  server.on('upgrade', o.onUpgrade);
  // HTTP/1.1 CONNECT arrives with a raw socket, HTTP/2 CONNECT (compatibility API) with a response.
  const connect = createConnectHandler(deps, 'https');
  server.on('connect', (req: IncomingMessage | Http2ServerRequest, out: Duplex | Http2ServerResponse) => {
    if (out instanceof Http2ServerResponse) handler(req as DownstreamRequest, out);
    else connect(req as IncomingMessage, out);
  });
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
    const servername = (socket as TLSSocket & { servername?: string | false }).servername;
    o.failures.record(err, typeof servername === 'string' ? servername : undefined, (socket.remoteAddress ?? '').replace(/^::ffff:/, ''));
  });
  o.sessions.attach(server);
  return server;
}
