import { type ClientHttp2Stream, type IncomingHttpHeaders, type IncomingHttpStatusHeader, type OutgoingHttpHeaders, constants } from 'node:http2';
import { type DownstreamResponse, responseGone, writeHead } from '../downstream.ts';
import { ErrorKinds, ProxyError, upstreamFailure } from '../errors.ts';
import type { AttemptOptions, AttemptResult } from '../forward.ts';
import { downstreamResponseHeaders } from '../headers.ts';
import type { H2cPool } from './h2c-pool.ts';

/**
 * One attempt over HTTP/2 cleartext (`rauta.io/backend-protocol: h2c | grpc`). The same contract as
 * the HTTP/1.1 `forwardAttempt`: body held until the session is up, resolves once the response (and
 * its trailers, which carry grpc-status) has been relayed, or the attempt failed.
 */
export function forwardH2cAttempt(pool: H2cPool, o: AttemptOptions): Promise<AttemptResult> {
  return new Promise((resolve) => {
    const { req, res } = o;
    const session = pool.session(o.endpoint, o.h2Tls);
    let settled = false;
    let connected = !session.connecting;
    let responded = false;
    let bodySent = false;
    let statusCode: number | undefined;
    let grpcStatus: string | undefined;
    let connectTimer: NodeJS.Timeout | undefined;

    const stream: ClientHttp2Stream = session.request(h2RequestHeaders(o.headers, req.method ?? 'GET', req.url ?? '/', req.headers.te), {
      endStream: !o.hasBody,
    });

    let writeTimer: NodeJS.Timeout | undefined;
    const done = (error: ProxyError | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(writeTimer);
      res.off('close', onClientClose);
      session.off('connect', onConnect);
      resolve({ error, responded, bodySent, statusCode, grpcStatus });
    };

    const onClientClose = () => {
      if (!res.writableFinished) {
        stream.close(constants.NGHTTP2_CANCEL);
        done(new ProxyError(ErrorKinds.clientAborted, 'client closed the connection before the response completed'));
      }
    };
    res.once('close', onClientClose);

    const sendBody = () => {
      connected = true;
      clearTimeout(connectTimer);
      if (!o.hasBody) return;
      bodySent = true;
      req.pipe(stream);
    };
    const onConnect = () => sendBody();
    if (connected) sendBody();
    else {
      connectTimer = setTimeout(() => {
        stream.destroy(new ProxyError(ErrorKinds.upstreamConnectTimeout, `connect to ${o.endpoint.key} timed out after ${o.connectTimeoutMs}ms`));
      }, o.connectTimeoutMs);
      session.once('connect', onConnect);
    }

    stream.setTimeout(o.responseTimeoutMs, () => {
      stream.destroy(new ProxyError(ErrorKinds.upstreamTimeout, `${o.endpoint.key} sent nothing for ${o.responseTimeoutMs}ms`));
    });

    stream.on('response', (headers: IncomingHttpHeaders & IncomingHttpStatusHeader) => {
      responded = true;
      statusCode = headers[':status'] ?? 502;
      if (res.headersSent || responseGone(res)) {
        stream.close(constants.NGHTTP2_CANCEL);
        return done(new ProxyError(ErrorKinds.clientAborted, 'client gone before the response head'));
      }
      const gs = headers['grpc-status'];
      let head = headers;
      if (typeof gs === 'string') {
        // A gRPC "trailers-only" answer: the status rides in the one HEADERS frame. The compatibility
        // API always ends a response with a trailers frame, so the status moves there (clients
        // accept either shape; a response ending without grpc-status would be an INTERNAL error).
        grpcStatus = gs;
        head = { ...headers };
        const moved: IncomingHttpHeaders = {};
        for (const name of GRPC_STATUS_FIELDS) {
          if (head[name] !== undefined) moved[name] = head[name];
          delete head[name];
        }
        addTrailers(res, moved);
      }
      writeHead(res, statusCode, undefined, downstreamResponseHeaders(flatten(head), o.requestId));
      stream.pipe(res);
      // The write timeout: pipe() pauses the backend stream while the client's side is full; a client
      // that never takes the bytes would hold this stream (and the request) for ever.
      const writeTimeoutMs = o.writeTimeoutMs ?? 0;
      if (writeTimeoutMs > 0) {
        stream.on('pause', () => {
          clearTimeout(writeTimer);
          writeTimer = setTimeout(() => {
            if (settled) return;
            stream.close(constants.NGHTTP2_CANCEL);
            res.destroy();
            done(new ProxyError(ErrorKinds.requestTimeout, `client did not read the response for ${writeTimeoutMs}ms`));
          }, writeTimeoutMs);
        });
        res.on('drain', () => clearTimeout(writeTimer));
      }
    });
    stream.on('trailers', (trailers: IncomingHttpHeaders) => {
      const gs = trailers['grpc-status'];
      if (typeof gs === 'string') grpcStatus = gs;
      addTrailers(res, trailers);
    });
    stream.on('data', (chunk: Buffer) => o.onBytesOut(chunk.length));
    stream.on('end', () => {
      if (!responded) return;
      res.once('finish', () => done(undefined));
    });

    stream.on('error', (err) => {
      if (responded) {
        res.destroy();
        return done(upstreamFailure(err, true));
      }
      done(upstreamFailure(err, connected));
    });
    stream.on('close', () => {
      // A backend RST_STREAM without an error event (e.g. REFUSED_STREAM) still ends the attempt.
      if (settled) return;
      if (!responded) return done(new ProxyError(ErrorKinds.upstreamReset, `stream reset by ${o.endpoint.key} (code ${stream.rstCode})`));
      if (!res.writableFinished && stream.rstCode !== constants.NGHTTP2_NO_ERROR) {
        res.destroy();
        done(new ProxyError(ErrorKinds.upstreamReset, `stream reset by ${o.endpoint.key} mid-response (code ${stream.rstCode})`));
      }
    });
  });
}

const GRPC_STATUS_FIELDS = ['grpc-status', 'grpc-message', 'grpc-status-details-bin'];

/** HTTP/1-style flat header list (already filtered for the upstream) → an HTTP/2 request header block. */
export function h2RequestHeaders(flat: readonly string[], method: string, path: string, te: string | string[] | undefined): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':method': method, ':path': path, ':scheme': 'http' };
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i].toLowerCase();
    const value = flat[i + 1];
    if (name === 'host') {
      out[':authority'] = value;
      continue;
    }
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [String(prev), value];
  }
  // `te: trailers` is the one TE value HTTP/2 allows, and gRPC servers expect it (RFC 9113 §8.2.2).
  if (typeof te === 'string' && te.toLowerCase().split(',').some((t) => t.trim() === 'trailers')) out.te = 'trailers';
  return out;
}

function flatten(headers: IncomingHttpHeaders): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (name.charCodeAt(0) === 58 || value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, String(value));
  }
  return out;
}

function addTrailers(res: DownstreamResponse, trailers: IncomingHttpHeaders): void {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(trailers)) {
    if (name.charCodeAt(0) === 58 || value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  res.addTrailers(out);
}
