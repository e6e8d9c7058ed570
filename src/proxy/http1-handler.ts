import { randomUUID } from 'node:crypto';
import { type IncomingMessage, METHODS } from 'node:http';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { ActiveRequests } from './active-requests.ts';
import type { Balancer } from './balance/balancer.ts';
import type { PickInput } from './balance/selector.ts';
import type { AttemptOutcomeSink } from './health/backend-health.ts';
import { type DownstreamRequest, type DownstreamResponse, isHttp2, markConnectionClose, refusedStream, responseGone, requestHasBody, writeHead } from './downstream.ts';
import { idempotentRequest, runAttempts } from './attempt-loop.ts';
import { ConnectionTurns } from './pipelining.ts';
import { BodyReadTimer } from './body-timeout.ts';
import type { EndpointSlots } from './endpoint-slots.ts';
import { ErrorKinds, ProxyError, unavailableBackendError, withStatus } from './errors.ts';
import { type AttemptOptions, type AttemptResult, forwardAttempt } from './forward.ts';
import { acceptableRequestId, upstreamRequestHeaders } from './headers.ts';
import { framingProblem, needsChunkedUpstream, toOriginForm } from './request-checks.ts';
import { normalizeTarget } from './request-path.ts';
import type { InFlight } from './in-flight.ts';
import { type RequestObserver, type RequestRecord, newRecord } from './request-record.ts';
import { type PolicyAnswer, type PolicyContext, applyToUpstream, responseHeaderEditor, startPolicy } from './policy/pipeline.ts';
import { errorPagesOf, serveErrorPage } from './policy/error-pages.ts';
import { tooLarge } from './policy/request.ts';
import { PolicyRuntime } from './policy/runtime.ts';
import { affinityCookie, stickyEndpoint, upstreamPlan } from './policy/upstream.ts';
import type { RouteState } from '../routing/route-state.ts';
import { hstsFor, sslRedirectLocation } from './tls/redirect.ts';

export interface ProxyDeps {
  readonly routes: RouteState;
  readonly balancer: Balancer;
  readonly observer: RequestObserver;
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
  /** Traffic-policy state (limits, compiled matchers, upstream TLS clients); made per handler when absent. */
  readonly policy?: PolicyRuntime;
  /** Caps the HTTP/1.1 connections per endpoint, with a bounded queue in front (endpoint-slots.ts). */
  readonly slots?: EndpointSlots;
  /** Longest pause between two reads of a request body (408 after); 0 or absent: none. */
  readonly clientBodyTimeoutMs?: number;
  /** Slowest average rate of a request body over each body-timeout period (408 below it); 0: none. */
  readonly clientBodyMinBytesPerSecond?: number;
  /** Longest a client may leave a response unread before its connection is closed; 0 or absent: none. */
  readonly clientWriteTimeoutMs?: number;
}

export function clientAddress(req: DownstreamRequest): string {
  const ip = req.socket.remoteAddress ?? '';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

/**
 * Normalises the request target in place (see request-path.ts), so routing, the event and the backend
 * all see the same path. False when the path must be refused.
 */
export function normaliseRequestTarget(req: DownstreamRequest): boolean {
  const url = req.url ?? '/';
  const t = normalizeTarget(url);
  if (t === undefined) return false;
  if (t.target !== url) req.url = t.target;
  return true;
}

const KNOWN_METHODS: ReadonlySet<string> = new Set(METHODS);

/** What is wrong with a request before routing (400 and 405 answers RAUTA makes itself), if anything. */
export function acceptProblem(req: DownstreamRequest, absoluteOk: boolean, pathOk: boolean): ProxyError | undefined {
  if (req.method === 'CONNECT') return new ProxyError(ErrorKinds.methodNotAllowed, 'CONNECT is not supported');
  // The HTTP/1.1 listener's parser knows only these methods; an HTTP/2 :method it would refuse (`get`,
  // `FOO`) must not reach an HTTP/1.1 backend, whose parser would refuse it in turn.
  if (isHttp2(req) && !KNOWN_METHODS.has(req.method)) return new ProxyError(ErrorKinds.badRequest, 'unknown request method');
  if (!absoluteOk) return new ProxyError(ErrorKinds.badRequest, 'unusable absolute-form request target');
  if (!pathOk) return new ProxyError(ErrorKinds.badRequest, 'request path climbs above the root or holds an ambiguous dot segment');
  // HTTP/1.1 requires Host (RFC 9112 §3.2); node:http's own check would answer without an event.
  if (req.httpVersion === '1.1' && req.headers.host === undefined) return new ProxyError(ErrorKinds.badRequest, 'missing Host header');
  return undefined;
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
 * `CONNECT` on an HTTP/1.1 listener (node:http hands it over as a raw socket, and without a listener
 * closes it silently): answered 405, with its event like any other refused request.
 */
export function createConnectHandler(deps: ProxyDeps, scheme: 'http' | 'https') {
  return (req: IncomingMessage, socket: Duplex): void => {
    const rec = acceptRecord(req, scheme);
    deps.observer.start(rec, req.headers);
    const error = new ProxyError(ErrorKinds.methodNotAllowed, 'CONNECT is not supported');
    rec.error = error;
    rec.statusCode = error.kind.status;
    const body = `${error.kind.status} ${error.kind.title}: ${error.message} (${error.kind.code}, request id ${rec.requestId})\n`;
    rec.bytesOut = Buffer.byteLength(body);
    socket.on('error', () => socket.destroy());
    socket.end(
      `HTTP/1.1 ${error.kind.status} ${error.kind.title}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${rec.bytesOut}\r\nServer: rauta\r\nX-Request-Id: ${rec.requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
    rec.durationMs = performance.now() - rec.startedHr;
    deps.observer.finish(rec);
  };
}

/**
 * The HTTP/1.1 request pipeline: accept → match → pick → forward (with retries) → finish.
 * The finish phase runs exactly once for every request, whatever happened.
 */
export function createHttp1Handler(deps: ProxyDeps, scheme: 'http' | 'https') {
  const policy = deps.policy ?? new PolicyRuntime({ idleTimeoutMs: 4000 });
  const turns = new ConnectionTurns();
  const serve = (req: DownstreamRequest, res: DownstreamResponse): void => {
    // Refused before it was processed (RFC 9113 §8.7): not a request, so no event either.
    if (refusedStream(req)) return;
    const absoluteOk = toOriginForm(req);
    const pathOk = absoluteOk && normaliseRequestTarget(req);
    const rec = acceptRecord(req, scheme);
    deps.active.inc();
    deps.observer.start(rec, req.headers);
    // The finish phase waits for both the response to close and the pipeline to return: the last
    // attempt's outcome and upstream duration are recorded after the response body was relayed.
    let pending = 2;
    const finish = () => {
      if (--pending > 0) return;
      // Taken when both are over, so it always covers the upstream duration.
      rec.durationMs = performance.now() - rec.startedHr;
      deps.active.dec();
      deps.observer.finish(rec);
    };
    res.once('close', () => {
      rec.statusCode = res.statusCode;
      if (!res.writableFinished && rec.error === undefined) {
        rec.error = new ProxyError(ErrorKinds.clientAborted, 'client closed the connection before the response completed');
      }
      if (!isHttp2(req)) turns.leave(req.socket);
      finish();
    });
    if (deps.draining()) markConnectionClose(res);
    const problem = acceptProblem(req, absoluteOk, pathOk);
    if (problem !== undefined) {
      markConnectionClose(res);
      req.resume();
      sendError(res, rec, problem);
      finish();
      return;
    }
    // A bug in a later phase must cost one request, never the process (an unhandled rejection).
    handle(deps, policy, req, res, rec, scheme).catch((err: unknown) => {
      try {
        sendError(res, rec, new ProxyError(ErrorKinds.internal, 'internal error', { cause: err }));
      } catch {
        res.destroy();
      }
    }).finally(finish);
  };
  return (req: DownstreamRequest, res: DownstreamResponse): void => {
    // HTTP/2 streams are independent; HTTP/1.1 requests of one connection take turns (pipelining.ts).
    if (isHttp2(req)) return serve(req, res);
    turns.enter(req.socket, { start: () => serve(req, res), abort: () => abortWaiting(deps, req as IncomingMessage, scheme) });
  };
}

/** A pipelined request whose connection closed before its turn: it still gets its event. */
function abortWaiting(deps: ProxyDeps, req: IncomingMessage, scheme: 'http' | 'https'): void {
  const rec = acceptRecord(req, scheme);
  deps.observer.start(rec, req.headers);
  rec.error = new ProxyError(ErrorKinds.clientAborted, 'connection closed before this pipelined request was served');
  rec.statusCode = ErrorKinds.clientAborted.status;
  deps.observer.finish(rec);
}

/** Sends what a traffic policy answered instead of forwarding (a 4xx/5xx error, a redirect, a preflight). */
function sendPolicyAnswer(res: DownstreamResponse, rec: RequestRecord, answer: PolicyAnswer): void {
  if (answer.kind === 'error') {
    if (!res.headersSent && answer.headers) for (const [k, v] of Object.entries(answer.headers)) res.setHeader(k, v);
    return sendError(res, rec, answer.error);
  }
  writeHead(res, answer.status, undefined, { 'content-length': 0, ...answer.headers, server: 'rauta', 'x-request-id': rec.requestId });
  res.end();
}

async function handle(deps: ProxyDeps, policy: PolicyRuntime, req: DownstreamRequest, res: DownstreamResponse, rec: RequestRecord, scheme: 'http' | 'https'): Promise<void> {
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
  const redirect = sslRedirectLocation(route, scheme, rec.host, req.url ?? '/');
  if (redirect !== undefined) {
    req.resume();
    writeHead(res, 308, undefined, { location: redirect, 'content-length': 0, server: 'rauta', 'x-request-id': rec.requestId });
    res.end();
    return;
  }
  // Traffic policy, access and request phases: before the backend check, so a redirect-only route
  // (a placeholder backend, common with ingress-nginx's redirect annotations) still answers.
  const started = await startPolicy(route, req, scheme, rec.clientIp, rec.host, policy);
  const pctx: PolicyContext | undefined = started.ctx;
  if (pctx !== undefined && pctx.onDone.length > 0) res.once('close', () => { for (const f of pctx.onDone) f(); });
  if (started.answer !== undefined) {
    req.resume();
    return sendPolicyAnswer(res, rec, started.answer);
  }
  if (route.backend.unavailable) {
    req.resume();
    return sendError(res, rec, unavailableBackendError(route.backend.unavailable));
  }
  const hsts = hstsFor(route, scheme);
  if (hsts !== undefined) res.setHeader('strict-transport-security', hsts);

  const hasBody = requestHasBody(req);
  // A body limit also holds for bodies without Content-Length (chunked, HTTP/2): counted as they flow;
  // past the limit the client gets 413 and the upstream request is cut.
  const maxBody = pctx?.maxBodyBytes ?? 0;
  // Set when the client was already answered apart from the attempt loop (413 body limit, 408 body timeout).
  let answeredEarly = false;
  const bodyTimeoutMs = deps.clientBodyTimeoutMs ?? 0;
  const bodyTimer = hasBody && bodyTimeoutMs > 0 ? new BodyReadTimer(req, bodyTimeoutMs, deps.clientBodyMinBytesPerSecond ?? 0, (why) => {
    const err = new ProxyError(ErrorKinds.requestTimeout, why === 'idle'
      ? `request body: nothing received for ${bodyTimeoutMs}ms`
      : `request body: less than ${deps.clientBodyMinBytesPerSecond} bytes/s over ${bodyTimeoutMs}ms`);
    answeredEarly = true;
    // What is left of the body will never be read: the connection cannot carry another request.
    markConnectionClose(res);
    if (!res.headersSent) sendError(res, rec, err);
    else rec.error = err;
    if (res.writableFinished) req.destroy(err);
    else if (res.headersSent && !res.writableEnded) {
      res.destroy();
      req.destroy(err);
    } else res.once('finish', () => req.destroy(err));
  }) : undefined;
  if (bodyTimer !== undefined) {
    res.once('close', () => bodyTimer.stop());
    req.once('end', () => bodyTimer.stop());
  }
  const countIn = (n: number, chunk: Buffer) => {
    rec.bytesIn += n;
    // Body copies (mirrors) see each chunk as it goes to the backend; they never hold it back.
    if (pctx !== undefined) for (const tap of pctx.bodyTaps) tap(chunk);
    bodyTimer?.touch(n);
    if (maxBody > 0 && rec.bytesIn > maxBody && !answeredEarly) {
      answeredEarly = true;
      markConnectionClose(res);
      if (!res.headersSent) sendPolicyAnswer(res, rec, tooLarge(maxBody));
      res.once('finish', () => req.destroy());
      if (res.headersSent && !res.writableFinished) res.destroy();
    }
  };
  // Count body bytes only once the body flows: a 'data' listener added now would switch the request
  // to flowing mode before the upstream connection is up, and the first chunks would be lost.
  let bodyEnded = false;
  const bodyEnd = () => {
    if (bodyEnded || pctx === undefined) return;
    bodyEnded = true;
    for (const tap of pctx.bodyTaps) tap(null);
  };
  if (hasBody) {
    req.once('resume', () => {
      req.on('data', (chunk: Buffer) => countIn(chunk.length, chunk));
      req.once('end', bodyEnd);
    });
  }

  const plan = upstreamPlan(route, route.policy.traffic?.upstream ?? [], {
    connectTimeoutMs: deps.connectTimeoutMs, responseTimeoutMs: deps.responseTimeoutMs, retryBudgetMs: deps.retryBudgetMs,
  }, policy);
  const editResponse = pctx === undefined ? undefined : responseHeaderEditor(pctx, route);
  const errorPages = errorPagesOf(route);
  const intercept = errorPages !== undefined && errorPages.statuses.length > 0 ? (status: number) => errorPages.statuses.includes(status) : undefined;
  let intercepted: number | undefined;
  const input: PickInput = { clientIp: rec.clientIp, path: rec.path, headers: req.headers };
  const forward = route.policy.protocol !== 'http1' && deps.forwardH2c !== undefined ? deps.forwardH2c : forwardAttempt;
  const error = await runAttempts(deps, rec, {
    maxAttempts: plan.maxAttempts,
    retryBudgetMs: plan.retryBudgetMs,
    idempotent: idempotentRequest(rec.method, hasBody),
    pick: (tried) => {
      const sticky = plan.affinity !== undefined && pctx !== undefined ? stickyEndpoint(plan.affinity, pctx, tried) : undefined;
      const endpoint = sticky ?? deps.balancer.pick(route, input, tried);
      // A new (or moved) session gets its cookie; a client already on this endpoint keeps its cookie.
      if (endpoint !== undefined && plan.affinity !== undefined && sticky === undefined && pctx !== undefined) {
        pctx.addResponse.push({ name: 'set-cookie', value: affinityCookie(plan.affinity, endpoint) });
      }
      return endpoint;
    },
    forward: async (endpoint, attempt) => {
      // The client may have left (or reset its stream) meanwhile: start nothing upstream.
      if (responseGone(res)) return { error: new ProxyError(ErrorKinds.clientAborted, 'client closed the connection before the request was forwarded'), responded: false, bodySent: false, statusCode: undefined };
      bodyTimer?.touch();
      const baseHeaders = upstreamRequestHeaders(req.rawHeaders, {
        clientIp: rec.clientIp,
        proto: scheme,
        host: rec.host,
        port: req.socket.localPort ?? 0,
        requestId: rec.requestId,
        priorForwardedFor: headerString(req.headers['x-forwarded-for']),
      }, deps.observer.upstreamHeaders(rec, attempt, endpoint));
      const headers = pctx === undefined ? baseHeaders : applyToUpstream(pctx, req, baseHeaders);
      // Transfer-Encoding is hop-by-hop, but the framing must survive: without it Node writes a GET's
      // (or DELETE's) body unframed and an HTTP/1.1 backend would parse it as the next request.
      if (forward === forwardAttempt && hasBody && needsChunkedUpstream(req)) headers.push('transfer-encoding', 'chunked');
      const options: AttemptOptions = {
        endpoint, req, res, headers, dispatcher: plan.dispatcher ?? deps.upstream, hasBody, requestId: rec.requestId,
        connectTimeoutMs: plan.connectTimeoutMs, responseTimeoutMs: plan.responseTimeoutMs,
        tls: plan.scheme === 'https', h2Tls: plan.h2Tls, editResponseHeaders: editResponse, interceptStatus: intercept, writeTimeoutMs: deps.clientWriteTimeoutMs,
        onBytesIn: countIn,
        onBodyEnd: bodyEnd,
        onBytesOut: (n) => { rec.bytesOut += n; },
      };
      // HTTP/2 backends multiplex on one session per endpoint; only HTTP/1.1 attempts hold a connection each.
      const note = (r: AttemptResult) => {
        if (r.intercepted) intercepted = r.statusCode;
        return r;
      };
      if (forward !== forwardAttempt || deps.slots === undefined) return note(await forward(options));
      const slot = await deps.slots.acquire(endpoint.key, plan.connectTimeoutMs);
      if (slot instanceof ProxyError) return { error: slot, responded: false, bodySent: false, statusCode: undefined };
      try {
        return note(await forward(options));
      } finally {
        slot();
      }
    },
    answered: () => answeredEarly,
  }, () => new ProxyError(ErrorKinds.noEndpoints, `service ${route.backend.namespace}/${route.backend.service} has no ready endpoints`));
  if (errorPages !== undefined) {
    // The route's error pages: an intercepted backend answer, or no endpoints at all (default-backend).
    const status = intercepted ?? (error?.kind === ErrorKinds.noEndpoints && errorPages.onNoEndpoints ? 503 : undefined);
    if (status !== undefined) {
      req.resume();
      const served = await serveErrorPage(errorPages, status, { table, dispatcher: deps.upstream, route, req, res, rec });
      if (served) return;
      if (intercepted !== undefined) return sendError(res, rec, new ProxyError(withStatus(ErrorKinds.upstreamErrorPage, status), `the backend answered ${status} and the error page backend could not be reached`));
    }
  }
  if (error === undefined) return;
  req.resume();
  sendError(res, rec, error);
}

function headerString(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

