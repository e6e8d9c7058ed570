import { type Agent, type ClientRequest, type IncomingMessage, request } from 'node:http';
import type { Endpoint } from '../routing/types.ts';
import { type DownstreamRequest, type DownstreamResponse, responseGone, writeHead } from './downstream.ts';
import { ErrorKinds, ProxyError, upstreamFailure } from './errors.ts';
import { downstreamResponseHeaders } from './headers.ts';

export interface AttemptOptions {
  readonly endpoint: Endpoint;
  readonly req: DownstreamRequest;
  readonly res: DownstreamResponse;
  readonly headers: string[];
  readonly agent: Agent;
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly hasBody: boolean;
  readonly requestId: string;
  /** Response body bytes relayed to the client. */
  onBytesOut(n: number): void;
}

export interface AttemptResult {
  /** Undefined when the backend answered and the response was relayed. */
  readonly error: ProxyError | undefined;
  /** True once the backend's response head reached us (no retry is possible after that). */
  readonly responded: boolean;
  /** True once any request body byte was handed to the backend connection. */
  readonly bodySent: boolean;
  readonly statusCode: number | undefined;
  /** gRPC backends: the grpc-status of the response (trailers, or headers for trailers-only answers). */
  readonly grpcStatus?: string;
}

/**
 * One attempt against one endpoint. The request body is held back until the connection is up, so a
 * connect failure leaves it untouched and the request can be retried elsewhere. Resolves when the
 * response has been relayed completely, or the attempt failed.
 */
export function forwardAttempt(o: AttemptOptions): Promise<AttemptResult> {
  return new Promise((resolve) => {
    let settled = false;
    let connected = false;
    let responded = false;
    let bodySent = false;
    let statusCode: number | undefined;
    let connectTimer: NodeJS.Timeout | undefined;
    const { req, res } = o;
    // The client may have left before this attempt (during an earlier one): its 'close' is gone, so
    // do not start a request nobody will read.
    if (responseGone(res)) {
      resolve({ error: new ProxyError(ErrorKinds.clientAborted, 'client closed the connection before the request was forwarded'), responded: false, bodySent: false, statusCode: undefined });
      return;
    }

    const up: ClientRequest = request({
      host: o.endpoint.ip,
      port: o.endpoint.port,
      method: req.method,
      path: req.url,
      headers: o.headers,
      agent: o.agent,
      setHost: false,
    });

    const done = (error: ProxyError | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      res.off('close', onClientClose);
      resolve({ error, responded, bodySent, statusCode });
    };

    const onClientClose = () => {
      // The client went away (or the response completed; then this is a no-op).
      if (!res.writableFinished) {
        up.destroy();
        done(new ProxyError(ErrorKinds.clientAborted, 'client closed the connection before the response completed'));
      }
    };
    res.once('close', onClientClose);

    const sendBody = () => {
      connected = true;
      clearTimeout(connectTimer);
      if (!o.hasBody) return;
      bodySent = true;
      req.pipe(up);
    };

    up.on('socket', (socket) => {
      if (!socket.connecting) return sendBody();
      connectTimer = setTimeout(() => {
        up.destroy(new ProxyError(ErrorKinds.upstreamConnectTimeout, `connect to ${o.endpoint.key} timed out after ${o.connectTimeoutMs}ms`));
      }, o.connectTimeoutMs);
      socket.once('connect', sendBody);
    });
    // A body is piped (and ended) once connected; without one the request is complete now.
    if (!o.hasBody) up.end();

    up.setTimeout(o.responseTimeoutMs, () => {
      up.destroy(new ProxyError(ErrorKinds.upstreamTimeout, `${o.endpoint.key} sent nothing for ${o.responseTimeoutMs}ms`));
    });

    up.on('response', (upRes: IncomingMessage) => {
      responded = true;
      statusCode = upRes.statusCode ?? 502;
      if (res.headersSent || responseGone(res)) {
        upRes.destroy();
        return done(new ProxyError(ErrorKinds.clientAborted, 'client gone before the response head'));
      }
      writeHead(res, statusCode, upRes.statusMessage, downstreamResponseHeaders(upRes.rawHeaders, o.requestId));
      upRes.on('data', (chunk: Buffer) => o.onBytesOut(chunk.length));
      upRes.on('error', (err) => {
        // Mid-body failure: the status line is gone, so the only honest signal left is to cut the
        // connection rather than pretend the body is complete.
        res.destroy();
        done(upstreamFailure(err, true));
      });
      upRes.on('end', () => {
        res.once('finish', () => done(undefined));
      });
      upRes.pipe(res);
    });

    up.on('error', (err) => {
      if (responded) {
        res.destroy();
        return done(upstreamFailure(err, true));
      }
      done(upstreamFailure(err, connected));
    });
  });
}
