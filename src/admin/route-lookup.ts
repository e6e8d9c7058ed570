import type { RouteTable } from '../routing/route-table.ts';
import { routeView } from './routes-view.ts';

const HOST = /^[A-Za-z0-9.*-]{1,253}(:\d{1,5})?$/;
const MAX_PATH = 2048;

/**
 * `/api/route?host=H&path=P[&method=M&scheme=https]`: which route the table would pick for that
 * request, by the table's own matcher (the web UI's route view asks this instead of guessing). Header
 * and query conditions see nothing, so a route that needs them is not picked.
 */
export function routeLookup(table: RouteTable, params: URLSearchParams): { status: number; body: unknown } {
  const host = params.get('host') ?? '';
  const path = params.get('path') || '/';
  const method = (params.get('method') || 'GET').toUpperCase();
  const scheme = params.get('scheme') === 'https' ? 'https' : 'http';
  if (host !== '' && !HOST.test(host)) return { status: 400, body: { error: 'host must be a host name, optionally with :port' } };
  if (!path.startsWith('/') || path.length > MAX_PATH) return { status: 400, body: { error: `path must start with / and be at most ${MAX_PATH} characters` } };
  if (!/^[A-Z]{1,16}$/.test(method)) return { status: 400, body: { error: 'method must be an HTTP method name' } };
  const route = table.match(host === '' ? undefined : host, path, { method, headers: {}, query: '', scheme });
  return {
    status: 200,
    body: { host, path, method, scheme, route: route === undefined ? null : routeView(route), default_backend: route !== undefined && route === table.defaultRoute },
  };
}
