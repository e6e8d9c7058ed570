import type { Logger } from 'pino';
import type { Config } from '../config/settings.ts';
import type { RejectedConfig } from '../control/source-rejections.ts';
import type { RouteTable } from '../routing/route-table.ts';
import type { LiveFeed } from '../telemetry/live-feed.ts';
import type { RecentEvents } from '../telemetry/sinks/ring.ts';
import { requestsEndpoints } from '../telemetry/requests-endpoint.ts';
import { type AdminServer, sendJson, sendText } from './admin-server.ts';
import { type BackendsViewDeps, backendsView } from './backends-view.ts';
import { HostAllowList } from './host-allow-list.ts';
import { routeLookup } from './route-lookup.ts';
import { routesView } from './routes-view.ts';
import type { TelemetryStatus } from './summary.ts';
import { registerWebUi } from './web-ui.ts';

/** The last table that went live, as the admin API shows it. */
export interface AppliedView {
  readonly fingerprint: string;
  readonly appliedAt: string;
}

/**
 * Read-only views of the running pieces. The admin API never reaches into them: each view is a
 * function or a narrow interface, so nothing the admin port does can change routing or telemetry.
 */
export interface AdminViews {
  readonly config: Pick<Config, 'config' | 'adminToken' | 'adminAllowedHosts' | 'traceUrlTemplate' | 'ringSize'>;
  /** The table requests are served from now. */
  readonly table: () => RouteTable;
  readonly applied: () => AppliedView | undefined;
  /** Snapshots that could not be applied (the previous table stayed live). */
  readonly failure: () => FailureView;
  /** Why the source's latest configuration was refused while the last good routes serve; undefined when it was not. */
  readonly rejected: () => RejectedConfig | undefined;
  /** `undefined` when ready; otherwise why not (503 on /readyz). */
  readonly notReady: () => string | undefined;
  readonly backends: BackendsViewDeps;
  readonly metrics: () => Promise<{ readonly body: string; readonly contentType: string }>;
  readonly requests: { readonly ring: RecentEvents; readonly feed: LiveFeed };
  readonly telemetry: TelemetryStatus;
}

export interface FailureView {
  readonly total: number;
  /** The latest failure, until a later table applies. */
  readonly last: { readonly at: string; readonly fingerprint: string; readonly stage: string; readonly code: string; readonly message: string } | undefined;
}

export interface AdminRoutes {
  /** Ends every live feed (shutdown). */
  endStreams(): void;
}

/** Every admin path is registered here and only here. */
export function registerAdminRoutes(admin: AdminServer, views: AdminViews, logger: Logger): AdminRoutes {
  // With a token every request must prove itself anyway; without one, only the Host check stands
  // between a hostile web page and the admin API.
  if (views.config.adminToken === undefined) {
    const hosts = new HostAllowList(views.config.adminAllowedHosts);
    admin.guard((req, res) => hosts.check(req, res));
  }
  admin.get('/healthz', (_req, res) => sendText(res, 200, 'ok\n'));
  admin.get('/readyz', (_req, res) => {
    const why = views.notReady();
    return why === undefined ? sendText(res, 200, 'ready\n') : sendText(res, 503, `${why}\n`);
  });
  admin.get('/routes', (_req, res) => {
    const cur = views.applied();
    const failure = views.failure();
    sendJson(res, 200, {
      ...routesView(views.table(), { fingerprint: cur?.fingerprint ?? '', appliedAt: cur?.appliedAt }),
      apply_failures: failure.total,
      apply_failure: failure.last === undefined ? null : { ...failure.last, fingerprint: failure.last.fingerprint || undefined },
      config_rejected: views.rejected() ?? null,
    });
  });
  admin.get('/backends', (_req, res) => sendJson(res, 200, backendsView(views.table(), views.backends)));
  admin.get('/api/route', (_req, res, url) => {
    const { status, body } = routeLookup(views.table(), url.searchParams);
    sendJson(res, status, body);
  });
  admin.get('/metrics', async (_req, res) => {
    const { body, contentType } = await views.metrics();
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
    res.end(body);
  });
  const requests = requestsEndpoints({ ring: views.requests.ring, ringSize: views.config.ringSize, feed: views.requests.feed });
  admin.get('/requests', requests.recent);
  admin.get('/requests/stream', requests.stream);
  const ui = registerWebUi(admin, { config: views.config, table: views.table, applied: views.applied, telemetry: views.telemetry, rejected: views.rejected });
  if (ui.missingAssets.length > 0) logger.warn({ missing: ui.missingAssets }, 'web UI assets missing; the page at / will not work');
  return { endStreams: () => views.requests.feed.close() };
}
