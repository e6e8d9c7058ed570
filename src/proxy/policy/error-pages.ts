import type { Dispatcher } from 'undici';
import type { ErrorPagesOp } from '../../routing/policy.ts';
import type { RouteTable } from '../../routing/route-table.ts';
import type { Route } from '../../routing/types.ts';
import { type DownstreamRequest, type DownstreamResponse, responseGone, writeHead } from '../downstream.ts';
import type { RequestRecord } from '../request-record.ts';

/** The part of a downstream response (HTTP/1.x or HTTP/2) the page is written to. */
interface PageOut {
  write(chunk: Buffer): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/** An error page is small; a bigger one is cut (and the connection closed) rather than streamed on. */
const MAX_PAGE_BYTES = 1024 * 1024;
const TIMEOUT_MS = 5000;

export function errorPagesOf(route: Route): ErrorPagesOp | undefined {
  for (const op of route.policy.traffic?.response ?? []) if (op.kind === 'error-pages') return op;
  return undefined;
}

/**
 * ingress-nginx's custom error pages: the error backend gets a GET for the original URI with X-Code,
 * X-Format, X-Original-URI, X-Namespace, X-Ingress-Name, X-Service-Name, X-Service-Port and
 * X-Request-ID, and its page goes to the client with the original status. Resolves false when no page
 * could be fetched (the caller then answers the plain way).
 */
export async function serveErrorPage(op: ErrorPagesOp, status: number, o: {
  readonly table: RouteTable; readonly dispatcher: Dispatcher; readonly route: Route;
  readonly req: DownstreamRequest; readonly res: DownstreamResponse; readonly rec: RequestRecord;
}): Promise<boolean> {
  const backend = o.table.backends.find((b) => b.id === op.backendId);
  const ready = backend?.endpoints.filter((e) => e.ready) ?? [];
  if (ready.length === 0 || o.res.headersSent || responseGone(o.res)) return false;
  const endpoint = ready[Math.floor(Math.random() * ready.length)];
  const accept = o.req.headers.accept;
  let answer: Dispatcher.ResponseData;
  try {
    answer = await o.dispatcher.request({
      origin: `http://${endpoint.key}`,
      path: o.rec.query === '' ? o.rec.path : `${o.rec.path}?${o.rec.query}`,
      method: 'GET',
      headers: {
        'x-code': String(status),
        'x-format': typeof accept === 'string' && /^[\x20-\x7e]{0,512}$/.test(accept) ? accept : 'text/html',
        'x-original-uri': o.rec.query === '' ? o.rec.path : `${o.rec.path}?${o.rec.query}`,
        'x-namespace': o.route.ingress.namespace,
        'x-ingress-name': o.route.ingress.name,
        'x-service-name': o.route.backend.service,
        'x-service-port': o.route.backend.servicePort,
        'x-request-id': o.rec.requestId,
      },
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
    });
  } catch {
    return false;
  }
  if (o.res.headersSent || responseGone(o.res)) {
    answer.body.destroy();
    return true;
  }
  const type = answer.headers['content-type'];
  const headers: Record<string, string> = { server: 'rauta', 'x-request-id': o.rec.requestId, 'cache-control': 'no-store' };
  if (typeof type === 'string' && /^[\x20-\x7e]{1,256}$/.test(type)) headers['content-type'] = type;
  writeHead(o.res, status, undefined, headers);
  let sent = 0;
  for await (const chunk of answer.body) {
    sent += (chunk as Buffer).length;
    if (sent > MAX_PAGE_BYTES) {
      answer.body.destroy();
      o.res.destroy();
      return true;
    }
    o.rec.bytesOut += (chunk as Buffer).length;
    if (!(o.res as PageOut).write(chunk as Buffer)) await new Promise<void>((r) => (o.res as PageOut).once('drain', () => r()));
  }
  o.res.end();
  return true;
}
