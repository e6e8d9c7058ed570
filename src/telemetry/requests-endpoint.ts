import type { IncomingMessage } from 'node:http';
import { type AdminHandler, sendJson, sendText } from '../admin/admin-server.ts';
import type { RequestEvent } from './request-event.ts';
import type { EventFilter, LiveFeed } from './live-feed.ts';
import type { RecentEvents } from './sinks/ring.ts';

const DEFAULT_LIMIT = 100;

const FILTER_PARAMS = ['status', 'host', 'service'];

/** Unfiltered live-feed clients share one buffer per batch of events. */
function hasFilter(q: URLSearchParams): boolean {
  return FILTER_PARAMS.some((p) => q.has(p));
}

/** `?status=5xx|4xx|404`, `?host=`, `?service=` (name or namespace/name); all must match. */
export function parseFilter(q: URLSearchParams): EventFilter | string {
  const tests: EventFilter[] = [];
  const status = q.get('status');
  if (status !== null) {
    const cls = /^([1-5])xx$/i.exec(status);
    if (cls) {
      const c = Number(cls[1]);
      tests.push((e) => Math.floor(e.data.status_code / 100) === c);
    } else if (/^[1-5]\d\d$/.test(status)) {
      const code = Number(status);
      tests.push((e) => e.data.status_code === code);
    } else {
      return `status must be like 5xx or 404, got "${status}"`;
    }
  }
  const host = q.get('host');
  if (host !== null) {
    const want = host.toLowerCase();
    tests.push((e) => {
      const h = e.data.host.toLowerCase();
      const colon = h.lastIndexOf(':');
      return h === want || (colon > 0 && !h.endsWith(']') && h.slice(0, colon) === want);
    });
  }
  const service = q.get('service');
  if (service !== null) {
    tests.push((e) => e.data.backend !== undefined &&
      (e.data.backend.service === service || `${e.context.namespace}/${e.data.backend.service}` === service));
  }
  return (e) => tests.every((t) => t(e));
}

/**
 * `GET shop.example.com/api/users 200 12ms → 10.0.1.42:8080`: the host first, so requests for different
 * sites tell apart; RAUTA's own answers show their error code instead of a pod.
 */
export function formatLine(e: RequestEvent): string {
  const b = e.data.backend;
  const target = b?.pod_ip !== undefined ? `${b.pod_ip}:${b.pod_port}` : (e.error?.code ?? '-');
  const where = `${e.data.host}${e.data.path}` || '-';
  return `${e.data.method} ${where} ${e.data.status_code} ${Math.round(e.data.duration_ms)}ms → ${target}`;
}

function wantsJson(req: IncomingMessage, url: URL): boolean {
  const format = url.searchParams.get('format');
  if (format !== null) return format === 'json';
  return (req.headers.accept ?? '').includes('application/json');
}

export interface RequestsEndpointsOptions {
  readonly ring: RecentEvents;
  readonly ringSize: number;
  readonly feed: LiveFeed;
}

/** The handlers of `/requests` and `/requests/stream` (the admin routes register them). */
export function requestsEndpoints({ ring, ringSize, feed }: RequestsEndpointsOptions): { readonly recent: AdminHandler; readonly stream: AdminHandler } {
  const recent: AdminHandler = async (req, res, url) => {
    const filter = parseFilter(url.searchParams);
    if (typeof filter === 'string') return sendText(res, 400, `${filter}\n`);
    const rawLimit = url.searchParams.get('limit');
    const limit = rawLimit === null ? DEFAULT_LIMIT : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 0) return sendText(res, 400, `limit must be a non-negative integer, got "${rawLimit}"\n`);
    const entries = await ring.recent(Math.min(limit, ringSize), filter);
    if (wantsJson(req, url)) return sendJson(res, 200, entries.map((e) => e.event));
    return sendText(res, 200, entries.map((e) => `${formatLine(e.event)}\n`).join(''));
  };
  const stream: AdminHandler = (_req, res, url) => {
    const filter = parseFilter(url.searchParams);
    if (typeof filter === 'string') return sendText(res, 400, `${filter}\n`);
    feed.open(res, hasFilter(url.searchParams) ? filter : undefined);
  };
  return { recent, stream };
}
