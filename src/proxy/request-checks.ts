import { type DownstreamRequest, isHttp2 } from './downstream.ts';

/**
 * Request-smuggling checks on top of Node's strict parser. llhttp already refuses Content-Length with
 * Transfer-Encoding, duplicate or invalid Content-Length, obs-fold and bare LF, but it hands a few
 * ambiguous requests to the handler before (or instead of) failing them; these never go upstream.
 * RFC 9112 §6.1 and §3.2. HTTP/2 frames bodies itself and has no such ambiguity.
 */
export function framingProblem(req: DownstreamRequest): string | undefined {
  if (isHttp2(req)) return undefined;
  if (req.httpVersionMajor === 0) return 'HTTP/0.9 requests are not accepted';
  let hosts = 0;
  let te: string | undefined;
  let tes = 0;
  let cl = false;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name === 'host') hosts++;
    else if (name === 'transfer-encoding') {
      tes++;
      te = raw[i + 1];
    } else if (name === 'content-length') cl = true;
  }
  if (hosts > 1) return 'more than one Host header';
  if (tes > 0 && cl) return 'both Content-Length and Transfer-Encoding';
  // Only plain `chunked` is accepted: other codings (gzip, identity, `gzip, chunked`) would reach the
  // backend without the information needed to decode them, or leave the body length ambiguous.
  if (tes > 1 || (te !== undefined && te.trim().toLowerCase() !== 'chunked')) return `unsupported Transfer-Encoding "${te}"`;
  return undefined;
}

/**
 * True when a request with a body has no Content-Length (HTTP/1.1 chunked, or an HTTP/2 stream without
 * one): the HTTP/1.1 upstream request must then say `Transfer-Encoding: chunked` itself.
 */
export function needsChunkedUpstream(req: DownstreamRequest): boolean {
  return req.headers['content-length'] === undefined;
}

/**
 * RFC 9112 §3.2.2: a request target in absolute-form (`GET http://shop.test/cart HTTP/1.1`) names the
 * host, and the Host header must be ignored. Rewrites the request to origin-form with a Host header
 * equal to that authority, so routing and the backend see the same host. Returns false when the
 * target is absolute but unusable.
 */
export function toOriginForm(req: DownstreamRequest): boolean {
  if (isHttp2(req)) return true;
  const url = req.url ?? '/';
  if (url.charCodeAt(0) === 47 /* / */ || url === '*') return true;
  if (!/^https?:\/\//i.test(url)) return true; // not absolute-form: routing answers 404 for it
  const parsed = URL.parse(url);
  if (parsed === null || parsed.host === '' || parsed.username !== '' || parsed.password !== '') return false;
  req.url = `${parsed.pathname}${parsed.search}`;
  req.headers.host = parsed.host;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === 'host') raw[i + 1] = parsed.host;
  return true;
}
