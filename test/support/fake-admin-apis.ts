import { randomBytes, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { AdminServer, sendJson } from '../../src/admin/admin-server.ts';
import type { TelemetryStatus } from '../../src/admin/summary.ts';
import { registerWebUi } from '../../src/admin/web-ui.ts';
import { RouteTable } from '../../src/routing/route-table.ts';

/**
 * An admin server with the real web UI and /api/summary, and the data APIs (/routes, /requests,
 * /requests/stream, /backends) answered from documents shaped by their published contracts. It lets the
 * UI be tested on its own, with data the test controls exactly.
 */
export interface FakeAdmin {
  readonly port: number;
  readonly events: Record<string, unknown>[];
  routes: unknown;
  backends: unknown;
  /** Sends an event to every open /requests/stream client (and keeps it for /requests). */
  push(event: Record<string, unknown>): void;
  close(): Promise<void>;
}

export async function startFakeAdmin(opts: { routes: unknown; backends: unknown; events?: Record<string, unknown>[]; traceUrlTemplate?: string; adminToken?: string; telemetry: TelemetryStatus }): Promise<FakeAdmin> {
  const admin = new AdminServer(pino({ level: 'silent' }));
  registerWebUi(admin, {
    config: { config: '/tmp/fake.yaml', adminToken: opts.adminToken, traceUrlTemplate: opts.traceUrlTemplate },
    table: () => RouteTable.empty(),
    applied: () => ({ fingerprint: 'fake', appliedAt: new Date().toISOString() }),
    telemetry: opts.telemetry,
  });
  const streams = new Set<ServerResponse>();
  const fake: FakeAdmin = {
    port: 0,
    events: [...(opts.events ?? [])],
    routes: opts.routes,
    backends: opts.backends,
    push(event) {
      fake.events.unshift(event);
      for (const res of streams) res.write(`data: ${JSON.stringify(event)}\n\n`);
    },
    async close() {
      for (const res of streams) res.destroy();
      admin.server.closeAllConnections();
      await new Promise<void>((r) => admin.server.close(() => r()));
    },
  };
  admin.get('/routes', (_req, res) => sendJson(res, 200, fake.routes));
  admin.get('/backends', (_req, res) => sendJson(res, 200, fake.backends));
  admin.get('/requests', (_req, res, url) => sendJson(res, 200, fake.events.slice(0, Number(url.searchParams.get('limit') ?? 100))));
  admin.get('/requests/stream', (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    res.write(': hello\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
  });
  await new Promise<void>((r) => admin.server.listen(0, '127.0.0.1', () => r()));
  return Object.assign(fake, { port: (admin.server.address() as AddressInfo).port });
}

/** One request event in the shape of schemas/request-event.v1.json. */
export function requestEvent(o: { host: string; path: string; status: number; method?: string; service?: string; namespace?: string; pod?: string; durationMs?: number; traceId?: string; ageMs?: number }): Record<string, unknown> {
  const ns = o.namespace ?? 'default';
  const id = randomUUID();
  const routed = o.service !== undefined;
  return {
    id,
    timestamp: new Date(Date.now() - (o.ageMs ?? 0)).toISOString(),
    source: 'rauta',
    type: 'http.request',
    protocol_version: '1.0',
    severity: o.status >= 500 ? 'error' : o.status >= 400 ? 'warning' : 'info',
    outcome: o.status >= 500 ? 'failure' : 'success',
    ...(routed ? {} : { error: { code: 'RAUTA_ERR_NO_ROUTE', message: 'no route for host' } }),
    context: {
      cluster: 'test', namespace: ns, node: 'node-a', trace_id: o.traceId ?? randomBytes(16).toString('hex'), span_id: randomBytes(8).toString('hex'),
      entities: [], correlation_keys: {},
    },
    data: {
      request_id: randomUUID(), method: o.method ?? 'GET', scheme: 'http', host: o.host, path: o.path, protocol: 'HTTP/1.1',
      status_code: o.status, duration_ms: o.durationMs ?? 3.5, upstream_duration_ms: routed ? (o.durationMs ?? 3.5) - 0.5 : null,
      bytes_in: 0, bytes_out: 120, client_ip: '127.0.0.1', user_agent: 'test',
      route: routed ? { ingress: `${ns}/${o.service}`, host: o.host, path: '/', path_type: 'Prefix' } : null,
      backend: routed ? { service: o.service, service_port: '80', pod: o.pod ?? `${o.service}-0`, pod_ip: '127.0.0.2', pod_port: 8080, node: 'node-a', zone: 'zone-a' } : null,
      attempts: routed ? 1 : 0,
    },
  };
}
