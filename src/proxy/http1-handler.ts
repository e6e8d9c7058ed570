import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { ActiveRequests } from './active-requests.ts';
import type { Balancer } from './balance/balancer.ts';
import type { PickInput } from './balance/selector.ts';
import type { AttemptOutcomeSink } from './health/backend-health.ts';
import { type DownstreamRequest, type DownstreamResponse, markConnectionClose, requestHasBody, writeHead } from './downstream.ts';
import { ErrorKinds, ProxyError, unavailableBackendError } from './errors.ts';
import { type AttemptOptions, type AttemptResult, forwardAttempt } from './forward.ts';
import { acceptableRequestId, upstreamRequestHeaders } from './headers.ts';
import { framingProblem, needsChunkedUpstream, toOriginForm } from './request-checks.ts';
import type { InFlight } from './in-flight.ts';
import { type RequestObserver, type RequestRecord, newRecord } from './request-record.ts';
import type { RouteState } from '../routing/route-state.ts';
import { hstsFor, sslRedirectLocation } from './tls/redirect.ts';

export interface ProxyDeps {
  readonly routes: RouteState;
  readonly balancer: Balancer;
  readonly observer: RequestObserver;
  /** Kept for paths that need node:http (protocol upgrades); forwarding uses `upstream`. */
  /** The HTTP/1.1 forwarding client (see upstream-client.ts). */
  readonly upstream: Dispatcher;
  readonly inFlight: InFlight;
  readonly active: ActiveRequests;
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  /** Passive health: told the outcome of every upstream attempt. */
  readonly health?: AttemptOutcomeSink;
  /** No retry starts once the attempts of one request took this long (the per-request retry budget). */
  readonly retryBudgetMs?: number;
  /** True while shutting down: responses then carry `Connection: close`. */
  draining(): boolean;
  /** Forwarding for `rauta.io/backend-protocol: h2c | grpc` routes (HTTP/2 cleartext to the pod). */
  readonly forwardH2c?: (o: AttemptOptions) => Promise<AttemptResult>;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export function clientAddress(req: DownstreamRequest): string {
  const ip = req.socket.remoteAddress ?? '';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

/** Fills the accept phase of a record from an HTTP/1.x request. */
export function acceptRecord(req: DownstreamRequest, scheme: 'http' | 'https'): RequestRecord {
  const rec = newRecord(Date.now(), performance.now());
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const incomingId = req.headers['x-request-id'];
  rec.requestId = acceptableRequestId(typeof incomingId === 'string' ? incomingId : undefined) ? (incomingId as string) : randomUUID();
  rec.method = req.method ?? 'GET';
  rec.scheme = scheme;
  // HTTP/2 carries the host in :authority (RFC 9113 §8.3.1); a Host header, when also sent, must agree.
  rec.host = req.headers.host ?? (req.headers[':authority'] as string | undefined) ?? '';
  rec.path = q === -1 ? url : url.slice(0, q);
  rec.query = q === -1 ? '' : url.slice(q + 1);
  rec.protocol = req.httpVersion === '1.0' ? 'HTTP/1.0' : req.httpVersion === '2.0' ? 'HTTP/2' : 'HTTP/1.1';
  rec.clientIp = clientAddress(req);
  rec.userAgent = req.headers['user-agent'] ?? '';
  return rec;
}

/** Writes a small plain-text error RAUTA makes itself, with the request id so users can report it. */
export function sendError(res: DownstreamResponse, rec: RequestRecord, error: ProxyError): void {
  rec.error = error;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `${error.kind.status} ${error.kind.title}: ${error.message} (${error.kind.code}, request id ${rec.requestId})\n`;
  writeHead(res, error.kind.status, undefined, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    server: 'rauta',
    'x-request-id': rec.requestId,
  });
  res.end(body);
  rec.bytesOut += Buffer.byteLength(body);
}

/**
 * The HTTP/1.1 request pipeline: accept → match → pick → forward (with retries) → finish.
 * The finish phase runs exactly once for every request, whatever happened.
 */
export function createHttp1Handler(deps: ProxyDeps, scheme: 'http' | 'https') {
  return (req: DownstreamRequest, res: DownstreamResponse): void => {
    const absoluteOk = toOriginForm(req);
    const rec = acceptRecord(req, scheme);
    deps.active.inc();
    deps.observer.start(rec, req.headers);
    res.once('close', () => {
      deps.active.dec();
      rec.statusCode = res.statusCode;
      if (!res.writableFinished && rec.error === undefined) {
        rec.error = new ProxyError(ErrorKinds.clientAborted, 'client closed the connection before the response completed');
      }
      rec.durationMs = performance.now() - rec.startedHr;
      deps.observer.finish(rec);
    });
    if (deps.draining()) markConnectionClose(res);
    if (!absoluteOk) {
      markConnectionClose(res);
      return sendError(res, rec, new ProxyError(ErrorKinds.badRequest, 'unusable absolute-form request target'));
    }
    // A bug in a later phase must cost one request, never the process (an unhandled rejection).
    handle(deps, req, res, rec, scheme).catch((err: unknown) => {
      sendError(res, rec, new ProxyError(ErrorKinds.internal, 'internal error', { cause: err }));
    });
  };
}

async function handle(deps: ProxyDeps, req: DownstreamRequest, res: DownstreamResponse, rec: RequestRecord, scheme: 'http' | 'https'): Promise<void> {
  const problem = framingProblem(req);
  if (problem !== undefined) {
    // The body's length cannot be trusted, so neither can anything after it on this connection.
    markConnectionClose(res);
    return sendError(res, rec, new ProxyError(ErrorKinds.badRequest, problem));
  }
  const table = deps.routes.table;
  const route = table.match(rec.host, rec.path, { method: rec.method, headers: req.headers, query: rec.query, scheme });
  rec.route = route;
  if (route === undefined) {
    req.resume();
    return sendError(res, rec, new ProxyError(ErrorKinds.noRoute, `no route for host "${rec.host}" path "${rec.path}"`));
  }
  if (route.backend.unavailable) {
    req.resume();
    return sendError(res, rec, unavailableBackendError(route.backend.unavailable));
  }

  const redirect = sslRedirectLocation(route, scheme, rec.host, req.url ?? '/');
  if (redirect !== undefined) {
    req.resume();
    writeHead(res, 308, undefined, { location: redirect, 'content-length': 0, server: 'rauta', 'x-request-id': rec.requestId });
    res.end();
    return;
  }
  const hsts = hstsFor(route, scheme);
  if (hsts !== undefined) res.setHeader('strict-transport-security', hsts);

  const hasBody = requestHasBody(req);
  // Count body bytes only once the body flows: a 'data' listener added now would switch the request
  // to flowing mode before the upstream connection is up, and the first chunks would be lost.
  if (hasBody) req.once('resume', () => req.on('data', (chunk: Buffer) => { rec.bytesIn += chunk.length; }));

  const input: PickInput = { clientIp: rec.clientIp, path: rec.path, headers: req.headers };
  const maxAttempts = 1 + route.policy.retries;
  let tried: Set<string> | undefined;
  let lastError: ProxyError | undefined;
  let upstreamMs = 0;

  while (rec.attempts < maxAttempts) {
    const endpoint = deps.balancer.pick(route, input, tried);
    if (endpoint === undefined) break;
    rec.attempts++;
    rec.endpoint = endpoint;
    const headers = upstreamRequestHeaders(req.rawHeaders, {
      clientIp: rec.clientIp,
      proto: scheme,
      host: rec.host,
      port: req.socket.localPort ?? 0,
      requestId: rec.requestId,
      priorForwardedFor: headerString(req.headers['x-forwarded-for']),
    }, deps.observer.upstreamHeaders(rec, rec.attempts, endpoint));

    const started = performance.now();
    deps.inFlight.inc(endpoint.key);
    const forward = route.policy.protocol !== 'http1' && deps.forwardH2c !== undefined ? deps.forwardH2c : forwardAttempt;
    // Transfer-Encoding is hop-by-hop, but the framing must survive: without it Node writes a GET's
    // (or DELETE's) body unframed and an HTTP/1.1 backend would parse it as the next request.
    if (forward === forwardAttempt && hasBody && needsChunkedUpstream(req)) headers.push('transfer-encoding', 'chunked');
    const result = await forward({
      endpoint, req, res, headers, dispatcher: deps.upstream, hasBody, requestId: rec.requestId,
      connectTimeoutMs: deps.connectTimeoutMs, responseTimeoutMs: deps.responseTimeoutMs,
      onBytesIn: (n) => { rec.bytesIn += n; },
      onBytesOut: (n) => { rec.bytesOut += n; },
    });
    deps.inFlight.dec(endpoint.key);
    upstreamMs += performance.now() - started;
    rec.upstreamDurationMs = upstreamMs;
    if (result.grpcStatus !== undefined) rec.grpcStatus = result.grpcStatus;
    deps.observer.attemptFinished(rec, endpoint, result.error, result.statusCode);
    deps.health?.attemptFinished(endpoint, result.error, result.statusCode);

    if (result.error === undefined) return;
    lastError = result.error;
    if (result.error.kind === ErrorKinds.clientAborted) {
      rec.error = result.error;
      return;
    }
    if (!retryable(rec.method, hasBody, result)) break;
    (tried ??= new Set()).add(endpoint.key);
    if (upstreamMs >= (deps.retryBudgetMs ?? Number.POSITIVE_INFINITY)) break;
  }
  if (lastError === undefined) {
    req.resume();
    return sendError(res, rec, new ProxyError(ErrorKinds.noEndpoints, `service ${route.backend.namespace}/${route.backend.service} has no ready endpoints`));
  }
  sendError(res, rec, lastError);
}

/**
 * Retry only when the backend cannot have acted on the request: the connection never came up, or it was
 * reset before any response byte for an idempotent request whose body (if any) was not sent.
 */
function retryable(method: string, hasBody: boolean, r: { error: ProxyError | undefined; responded: boolean; bodySent: boolean }): boolean {
  if (r.responded || r.error === undefined) return false;
  if (r.error.kind.retryable) return true;
  return r.error.kind === ErrorKinds.upstreamReset && IDEMPOTENT.has(method) && !hasBody && !r.bodySent;
}

function headerString(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

