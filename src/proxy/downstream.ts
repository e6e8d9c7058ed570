import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Http2ServerRequest, Http2ServerResponse, constants } from 'node:http2';

/**
 * The pipeline serves HTTP/1.x (node:http) and HTTP/2 (node:http2 compatibility API) with the same code:
 * the two request/response pairs are close enough that only a few operations need to know which is which.
 */
export type DownstreamRequest = IncomingMessage | Http2ServerRequest;
export type DownstreamResponse = ServerResponse | Http2ServerResponse;

export function isHttp2(req: DownstreamRequest): req is Http2ServerRequest {
  return req instanceof Http2ServerRequest;
}

/** HTTP/2 has no reason phrase (RFC 9113 §8.3.2): it is dropped there. */
export function writeHead(res: DownstreamResponse, status: number, reason: string | undefined, headers: string[] | OutgoingHttpHeaders): void {
  if (res instanceof Http2ServerResponse) res.writeHead(status, headers as OutgoingHttpHeaders);
  else if (reason === undefined) res.writeHead(status, headers);
  else res.writeHead(status, reason, headers);
}

/** True when the response can no longer be written (client gone or stream reset). */
export function responseGone(res: DownstreamResponse): boolean {
  // An HTTP/2 stream is `closed` at once when reset (by the client or by RAUTA); `destroyed` follows a
  // tick later, after which an attempt could already have gone upstream for nothing.
  return res instanceof Http2ServerResponse ? res.stream.destroyed || res.stream.closed : res.destroyed;
}

/** A stream RAUTA refused itself (REFUSED_STREAM, e.g. a connection closed for rapid resets): never processed. */
export function refusedStream(req: DownstreamRequest): boolean {
  return isHttp2(req) && req.stream.rstCode === constants.NGHTTP2_REFUSED_STREAM;
}

/**
 * Whether the request has a body to forward. HTTP/1.x announces one with Content-Length or
 * Transfer-Encoding; HTTP/2 has none exactly when the HEADERS frame carried END_STREAM.
 */
export function requestHasBody(req: DownstreamRequest): boolean {
  if (isHttp2(req)) return !req.stream.endAfterHeaders;
  const contentLength = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (contentLength !== undefined && contentLength !== '0');
}

/** `Connection: close` is an HTTP/1 notion; HTTP/2 forbids the header (a GOAWAY does that job). */
export function markConnectionClose(res: DownstreamResponse): void {
  if (!(res instanceof Http2ServerResponse)) res.setHeader('connection', 'close');
}
