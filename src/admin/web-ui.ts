import { readFileSync } from 'node:fs';
import type { Config } from '../config/settings.ts';
import type { RejectedConfig } from '../control/source-rejections.ts';
import type { RouteTable } from '../routing/route-table.ts';
import { AdminAuth } from './admin-auth.ts';
import { type AdminServer, sendJson } from './admin-server.ts';
import { type TelemetryStatus, summaryView } from './summary.ts';
import { UiAssets } from './ui-assets.ts';

export interface WebUiDeps {
  readonly config: Pick<Config, 'config' | 'adminToken' | 'traceUrlTemplate'>;
  readonly table: () => RouteTable;
  readonly applied: () => { readonly fingerprint: string; readonly appliedAt: string } | undefined;
  readonly telemetry: TelemetryStatus;
  readonly rejected?: () => RejectedConfig | undefined;
  /** Overrides where the UI files are read from (tests). */
  readonly assetsDir?: URL;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Serves the web UI at `/`, its assets under `/ui/`, `/api/summary`, and installs the optional admin token guard. */
export function registerWebUi(admin: AdminServer, deps: WebUiDeps): { readonly missingAssets: readonly string[] } {
  if (deps.config.adminToken !== undefined) {
    const auth = new AdminAuth(deps.config.adminToken);
    admin.guard((req, res, url) => auth.check(req, res, url));
  }
  const assets = new UiAssets(deps.assetsDir);
  const version = packageVersion();
  const startedAt = new Date().toISOString();
  const mode = deps.config.config !== undefined ? 'standalone' : 'kubernetes';

  admin.get('/', (req, res) => assets.send(res, 'index.html', req.method === 'HEAD'));
  admin.get('/ui/*', (req, res, url) => assets.send(res, url.pathname.slice('/ui/'.length), req.method === 'HEAD'));
  admin.get('/favicon.ico', (req, res) => assets.send(res, 'favicon.svg', req.method === 'HEAD'));
  admin.get('/api/summary', (_req, res) => {
    sendJson(res, 200, summaryView({
      mode,
      version,
      startedAt,
      traceUrlTemplate: deps.config.traceUrlTemplate,
      telemetry: deps.telemetry,
      table: deps.table(),
      applied: deps.applied(),
      rejected: deps.rejected?.(),
    }));
  });
  return { missingAssets: assets.missing };
}
