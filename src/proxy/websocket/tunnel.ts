import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { ErrorKinds, ProxyError, unavailableBackendError, upstreamFailure } from '../errors.ts';
import { downstreamResponseHeaders, upstreamRequestHeaders } from '../headers.ts';
import { runAttempts } from '../attempt-loop.ts';
import type { AttemptResult } from '../forward.ts';
import { type ProxyDeps, acceptRecord, normaliseRequestTarget } from '../http1-handler.ts';
import type { RequestRecord } from '../request-record.ts';
import { type PolicyAnswer, applyToUpstream, startPolicy } from '../policy/pipeline.ts';
import { PolicyRuntime } from '../policy/runtime.ts';
import { sslRedirectLocation } from '../tls/redirect.ts';

/** Only WebSocket upgrades become tunnels; other Upgrade requests (h2c…) are served as plain requests. */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  return req.method === 'GET' && typeof upgrade === 'string' && upgrade.toLowerCase() === 'websocket';
}

/** Open tunnels, so shutdown can cut the ones still open when the grace period ends. */
export class Tunnels {
  private readonly open = new Set<Duplex>();

  get size(): number {
    return this.open.size;
  }

  add(socket: Duplex): void {
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
  }

  destroyAll(): void {
    for (const s of this.open) s.destroy();
  }
}

export interface TunnelOptions {
  readonly idleTimeoutMs: number;
  readonly tunnels: Tunnels;
}

/**
 * `Upgrade: websocket` on HTTP/1.1 (both ports): the handshake goes to the endpoint the route picks, and
 * once the pod answers 101 the two sockets are piped into each other (back-pressure both ways). The
 * tunnel holds no reference to the route table, so table swaps and certificate reloads leave it alone.
 * It counts as one active request (shutdown gives it the grace period) and its RequestRecord — protocol
 * `websocket`, duration, bytes each way — is finished exactly once, when the client socket has closed
 * and the attempt loop has returned.
 *
 * The handshake runs through the same attempt loop as every other request (runAttempts): passive
 * health, the retry rule and budget, least-request accounting. An attempt lasts until the tunnel
 * closes, so an open tunnel counts as in flight on its endpoint and its upstream duration is the
 * tunnel's lifetime.
 */
export function createUpgradeHandler(deps: ProxyDeps, opts: TunnelOptions, scheme: 'http' | 'https') {
  const policy = deps.policy ?? new PolicyRuntime({ idleTimeoutMs: 4000 });
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const pathOk = normaliseRequestTarget(req);
    const rec = acceptRecord(req, scheme);
    rec.protocol = 'websocket';
    deps.active.inc();
    deps.observer.start(rec, req.headers);
    opts.tunnels.add(socket);
    let pending = 2;
    const finish = () => {
      if (--pending > 0) return;
      // Taken when both are over, so it always covers the upstream duration.
      rec.durationMs = performance.now() - rec.startedHr;
      deps.active.dec();
      deps.observer.finish(rec);
    };
    socket.once('close', finish);
    socket.on('error', (err) => {
      rec.error ??= new ProxyError(ErrorKinds.clientAborted, `client socket: ${err.message}`, { cause: err });
      socket.destroy();
    });
    // One idle timer covers both directions: a net.Socket's timeout is reset by reads and by writes.
    (socket as Socket).setTimeout(opts.idleTimeoutMs);
    socket.once('timeout', () => socket.destroy());
    if (!pathOk) {
      reject(socket, rec, new ProxyError(ErrorKinds.badRequest, 'request path climbs above the root or holds an ambiguous dot segment'));
      finish();
      return;
    }
    // A bug in a later phase must cost this tunnel, never the process (an unhandled rejection).
    open(deps, policy, req, socket, head, rec, scheme).catch((err: unknown) => {
      reject(socket, rec, new ProxyError(ErrorKinds.internal, 'internal error', { cause: err }));
    }).finally(finish);
  };
}

async function open(deps: ProxyDeps, policy: PolicyRuntime, req: IncomingMessage, socket: Duplex, head: Buffer, rec: RequestRecord, scheme: 'http' | 'https'): Promise<void> {
  const route = deps.routes.table.match(rec.host, rec.path, { method: rec.method, headers: req.headers, query: rec.query, scheme });
  rec.route = route;
  if (route === undefined) return reject(socket, rec, new ProxyError(ErrorKinds.noRoute, `no route for host "${rec.host}" path "${rec.path}"`));
  const redirect = sslRedirectLocation(route, scheme, rec.host, req.url ?? '/');
  if (redirect !== undefined) {
    rec.statusCode = 308;
    socket.end(`HTTP/1.1 308 Permanent Redirect\r\nLocation: ${redirect}\r\nContent-Length: 0\r\nX-Request-Id: ${rec.requestId}\r\nConnection: close\r\n\r\n`);
    return;
  }
  // The route's traffic policy holds for tunnels too: an upgrade must never be a way around an
  // allow-list or authentication.
  const started = await startPolicy(route, req, scheme, rec.clientIp, rec.host, policy);
  const pctx = started.ctx;
  if (pctx !== undefined && pctx.onDone.length > 0) socket.once('close', () => { for (const f of pctx.onDone) f(); });
  if (started.answer !== undefined) return answer(socket, rec, started.answer);
  if (route.backend.unavailable) return reject(socket, rec, unavailableBackendError(route.backend.unavailable));
  if (route.policy.traffic?.upstream.some((op) => op.kind === 'upstream-tls')) {
    return reject(socket, rec, new ProxyError(ErrorKinds.policyUnavailable, 'WebSocket tunnels to pods that speak TLS are not supported yet'));
  }
  const input = { clientIp: rec.clientIp, path: rec.path, headers: req.headers };
  const error = await runAttempts(deps, rec, {
    maxAttempts: 1 + route.policy.retries,
    retryBudgetMs: deps.retryBudgetMs,
    // A handshake is a GET without a body: a reset before any answer may go to another endpoint.
    idempotent: true,
    pick: (tried) => (socket.destroyed ? undefined : deps.balancer.pick(route, input, tried)),
    forward: (endpoint, attempt) => {
      let headers = upstreamRequestHeaders(req.rawHeaders, {
        clientIp: rec.clientIp, proto: scheme, host: rec.host, port: req.socket.localPort ?? 0, requestId: rec.requestId,
        priorForwardedFor: typeof req.headers['x-forwarded-for'] === 'string' ? req.headers['x-forwarded-for'] : undefined,
      }, deps.observer.upstreamHeaders(rec, attempt, endpoint));
      if (pctx !== undefined) headers = applyToUpstream(pctx, req, headers);
      // Hop-by-hop filtering removed them; for a tunnel they are the point.
      headers.push('connection', 'Upgrade', 'upgrade', 'websocket');
      return handshake(deps, req, socket, head, rec, endpoint.ip, endpoint.port, headers);
    },
  }, () => new ProxyError(ErrorKinds.noEndpoints, `service ${route.backend.namespace}/${route.backend.service} has no ready endpoints`));
  if (error !== undefined) reject(socket, rec, error);
}

/**
 * One handshake attempt against one endpoint. Resolves with the error when the pod could not be reached
 * or failed before answering; once the pod answered, resolves when that answer is over: a refusal (any
 * status but 101) after it was relayed to the client, a tunnel (101) when both sockets have closed.
 */
function handshake(deps: ProxyDeps, req: IncomingMessage, socket: Duplex, head: Buffer, rec: RequestRecord, ip: string, port: number, headers: string[]): Promise<AttemptResult> {
  return new Promise((resolve) => {
    let connected = false;
    let responded = false;
    let settled = false;
    const settle = (error: ProxyError | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('close', onClientClose);
      resolve({ error, responded, bodySent: false, statusCode: responded ? rec.statusCode : undefined });
    };
    const up: ClientRequest = request({ host: ip, port, method: 'GET', path: req.url, headers, setHost: false, agent: false });
    let timer = setTimeout(() => {
      up.destroy(new ProxyError(ErrorKinds.upstreamConnectTimeout, `connect to ${ip}:${port} timed out after ${deps.connectTimeoutMs}ms`));
    }, deps.connectTimeoutMs);
    const onClientClose = () => {
      up.destroy();
      settle(responded ? undefined : new ProxyError(ErrorKinds.clientAborted, 'client closed the connection before the WebSocket handshake completed'));
    };
    socket.once('close', onClientClose);
    up.on('socket', (s) => s.once('connect', () => {
      connected = true;
      clearTimeout(timer);
      timer = setTimeout(() => {
        up.destroy(new ProxyError(ErrorKinds.upstreamTimeout, `${ip}:${port} did not answer the WebSocket handshake within ${deps.responseTimeoutMs}ms`));
      }, deps.responseTimeoutMs);
    }));
    up.on('error', (err) => settle(responded ? rec.error : upstreamFailure(err, connected)));
    up.on('response', (res: IncomingMessage) => {
      // The pod refused the upgrade: relay its answer as a plain response and close.
      responded = true;
      clearTimeout(timer);
      rec.statusCode = res.statusCode ?? 502;
      const hdrs = downstreamResponseHeaders(res.rawHeaders, rec.requestId);
      let headText = `HTTP/1.1 ${rec.statusCode} ${res.statusMessage ?? ''}\r\n`;
      for (let i = 0; i < hdrs.length; i += 2) if (hdrs[i].toLowerCase() !== 'content-length') headText += `${hdrs[i]}: ${hdrs[i + 1]}\r\n`;
      socket.write(`${headText}Connection: close\r\n\r\n`);
      res.on('data', (c: Buffer) => { rec.bytesOut += c.length; });
      res.pipe(socket);
      res.once('end', () => settle(undefined));
      res.once('error', (err) => settle(upstreamFailure(err, true)));
    });
    up.on('upgrade', (res: IncomingMessage, upSocket: Duplex, upHead: Buffer) => {
      responded = true;
      clearTimeout(timer);
      rec.statusCode = res.statusCode ?? 101;
      let headText = `HTTP/1.1 ${rec.statusCode} ${res.statusMessage ?? 'Switching Protocols'}\r\n`;
      const raw = res.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() !== 'x-request-id') headText += `${raw[i]}: ${raw[i + 1]}\r\n`;
      socket.write(`${headText}X-Request-Id: ${rec.requestId}\r\n\r\n`);
      if (upHead.length > 0) {
        rec.bytesOut += upHead.length;
        socket.write(upHead);
      }
      if (head.length > 0) {
        rec.bytesIn += head.length;
        upSocket.write(head);
      }
      splice(socket, upSocket, rec);
      // The attempt lasts as long as the tunnel: it stays in flight on this endpoint until both ends closed.
      socket.off('close', onClientClose);
      let open = 2;
      const closed = () => {
        if (--open === 0) settle(rec.error?.kind.side === 'upstream' ? rec.error : undefined);
      };
      if (socket.destroyed) open--;
      else socket.once('close', closed);
      if (upSocket.destroyed) closed();
      else upSocket.once('close', closed);
    });
    up.end();
  });
}

/** Pipes both ways; either side closing or failing closes the other. */
function splice(client: Duplex, upstream: Duplex, rec: RequestRecord): void {
  client.on('data', (c: Buffer) => { rec.bytesIn += c.length; });
  upstream.on('data', (c: Buffer) => { rec.bytesOut += c.length; });
  client.pipe(upstream);
  upstream.pipe(client);
  upstream.on('error', (err) => {
    rec.error ??= upstreamFailure(err, true);
    client.destroy();
  });
  upstream.once('close', () => client.destroy());
  client.once('close', () => upstream.destroy());
}

/** RAUTA's own answer on a raw socket (the handshake never reached a pod). */
/** `extra` headers come from a traffic policy, whose values were checked for CR/LF when they were made. */
function reject(socket: Duplex, rec: RequestRecord, error: ProxyError, extra: Readonly<Record<string, string>> = {}): void {
  rec.error = error;
  rec.statusCode = error.kind.status;
  if (socket.destroyed) return;
  const body = `${error.kind.status} ${error.kind.title}: ${error.message} (${error.kind.code}, request id ${rec.requestId})\n`;
  rec.bytesOut += Buffer.byteLength(body);
  let more = '';
  for (const [k, v] of Object.entries(extra)) more += `${k}: ${v}\r\n`;
  socket.end(
    `HTTP/1.1 ${error.kind.status} ${error.kind.title}\r\nContent-Type: text/plain; charset=utf-8\r\n${more}` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nServer: rauta\r\nX-Request-Id: ${rec.requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** What a traffic policy answered instead of opening the tunnel (an error, a redirect). */
function answer(socket: Duplex, rec: RequestRecord, a: PolicyAnswer): void {
  if (a.kind === 'error') return reject(socket, rec, a.error, a.headers);
  rec.statusCode = a.status;
  if (socket.destroyed) return;
  let head = `HTTP/1.1 ${a.status} ${a.status === 204 ? 'No Content' : 'Redirect'}\r\n`;
  for (const [k, v] of Object.entries(a.headers)) if (k !== 'content-length') head += `${k}: ${v}\r\n`;
  socket.end(`${head}Content-Length: 0\r\nServer: rauta\r\nX-Request-Id: ${rec.requestId}\r\nConnection: close\r\n\r\n`);
}
