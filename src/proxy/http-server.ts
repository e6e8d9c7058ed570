import { type Server, type ServerResponse, createServer } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ErrorKinds, type ErrorKind, ProxyError } from './errors.ts';
import { type ProxyDeps, createConnectHandler, createHttp1Handler } from './http1-handler.ts';
import { newRecord } from './request-record.ts';

export interface HttpServerOptions {
  readonly maxHeaderSize: number;
  readonly headersTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}

/**
 * Maps a clientError to the status RAUTA answers with (undefined: just close). The codes are the ones
 * Node 24's llhttp and http server actually raise (checked against the binary's HPE_* list): header
 * overflow → 431; the header timeout arrives as ERR_HTTP_REQUEST_TIMEOUT (llhttp has no timeout
 * error) → 408; llhttp's internal failures → 500. Every other HPE_* means the request was malformed.
 */
export function parserErrorKind(code: string | undefined): ErrorKind | undefined {
  if (code === 'HPE_HEADER_OVERFLOW') return ErrorKinds.headersTooLarge;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return ErrorKinds.requestTimeout;
  if (code === 'HPE_INTERNAL' || code === 'HPE_JS_EXCEPTION') return ErrorKinds.internal;
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT') return undefined;
  return ErrorKinds.badRequest;
}

/**
 * The plain-HTTP listener. Node's strict parser stays on (never `insecureHTTPParser`): requests with
 * both Content-Length and Transfer-Encoding, duplicate or invalid Content-Length, or a transfer coding
 * other than chunked are answered 400 here and never reach a backend.
 */
export function createHttpServer(deps: ProxyDeps, opts: HttpServerOptions, scheme: 'http' | 'https' = 'http'): Server {
  const server = createServer({
    maxHeaderSize: opts.maxHeaderSize,
    headersTimeout: opts.headersTimeoutMs,
    // Node checks the header timeout only this often (30 s by default), so a 10 s timeout could take
    // up to 40 s to fire and a slowloris client would hold the socket that long.
    connectionsCheckingInterval: Math.min(1000, Math.max(100, opts.headersTimeoutMs / 4)),
    keepAliveTimeout: opts.keepAliveTimeoutMs,
    // Bodies may legitimately take long (large uploads); idle upstreams are bounded by the upstream timeouts.
    requestTimeout: 0,
    // The pipeline answers a missing Host itself (400 with an event); node:http's check would not tell.
    requireHostHeader: false,
    joinDuplicateHeaders: false,
    insecureHTTPParser: false,
    noDelay: true,
  }, createHttp1Handler(deps, scheme));

  server.on('connect', createConnectHandler(deps, scheme));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const kind = parserErrorKind(err.code);
    if (kind === undefined || !socket.writable) {
      socket.destroy();
      return;
    }
    // llhttp can fail a request after the handler already answered it (e.g. `Transfer-Encoding: gzip`,
    // refused by framingProblem): a second, raw response would corrupt the stream. Let the one in
    // progress flush, then close. (`_httpMessage` is the response Node's own clientError default checks.)
    const current = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (current != null && !current.writableFinished && current.req.complete) {
      // A complete, valid request ahead of the malformed one (pipelining) is still being served: its
      // response comes first, then the 400, then the connection closes. (When the request in progress
      // is the malformed one — a bad chunk in its body — it is answered at once below.)
      current.once('close', () => answerMalformed(deps, socket, kind, err, scheme));
      return;
    }
    if (current?.headersSent) {
      socket.end();
      return;
    }
    answerMalformed(deps, socket, kind, err, scheme);
  });
  return server;
}

/** RAUTA's raw answer to a request llhttp refused; the connection closes after it. */
function answerMalformed(deps: ProxyDeps, socket: Socket, kind: ErrorKind, err: NodeJS.ErrnoException, scheme: 'http' | 'https'): void {
  // Already closing (the response before it said `Connection: close`): let that one flush.
  if (!socket.writable) return;
  const rec = newRecord(Date.now(), performance.now());
  rec.requestId = crypto.randomUUID();
  rec.clientIp = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  rec.method = 'UNKNOWN';
  rec.scheme = scheme;
  rec.error = new ProxyError(kind, `malformed request: ${err.code ?? err.message}`, { cause: err });
  rec.statusCode = kind.status;
  const body = `${kind.status} ${kind.title} (${kind.code}, request id ${rec.requestId})\n`;
  socket.end(
    `HTTP/1.1 ${kind.status} ${kind.title}\r\nServer: rauta\r\nDate: ${new Date().toUTCString()}\r\n` +
    `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `X-Request-Id: ${rec.requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
  rec.bytesOut = Buffer.byteLength(body);
  rec.durationMs = performance.now() - rec.startedHr;
  deps.observer.start(rec, {});
  deps.observer.finish(rec);
}
