import type { RejectedConfig } from '../control/source-rejections.ts';
import type { RouteTable } from '../routing/route-table.ts';

/**
 * What the telemetry side knows about its own connections (`Telemetry.status`), read on each
 * /api/summary request so the status line follows NATS reconnects.
 */
export interface TelemetryStatus {
  nats(): { readonly configured: boolean; readonly connected: boolean };
  tracing(): { readonly enabled: boolean };
}

export interface SummaryInput {
  readonly mode: 'standalone' | 'kubernetes';
  readonly version: string;
  readonly startedAt: string;
  readonly traceUrlTemplate: string | undefined;
  readonly telemetry: TelemetryStatus;
  readonly table: RouteTable;
  readonly applied: { readonly fingerprint: string; readonly appliedAt: string } | undefined;
  readonly rejected?: RejectedConfig | undefined;
}

/** The JSON served at /api/summary: the web UI's status line and headline counts. */
export function summaryView(input: SummaryInput) {
  const { table } = input;
  const endpoints = table.backends.flatMap((b) => b.endpoints);
  const errors = table.diagnostics.filter((d) => d.severity === 'error');
  return {
    mode: input.mode,
    version: input.version,
    started_at: input.startedAt,
    nats: input.telemetry.nats(),
    tracing: input.telemetry.tracing(),
    trace_url_template: input.traceUrlTemplate ?? null,
    config: { fingerprint: input.applied?.fingerprint ?? null, applied_at: input.applied?.appliedAt ?? null },
    /** The source's latest configuration was refused; the routes shown are the last good ones. */
    config_rejected: input.rejected ?? null,
    counts: {
      ingresses: table.ingresses.length,
      routes: table.routes.length,
      backends: table.backends.length,
      endpoints: endpoints.length,
      ready_endpoints: endpoints.filter((e) => e.ready).length,
      certificates: table.certificates.length,
      diagnostics: { errors: errors.length, warnings: table.diagnostics.length - errors.length },
    },
  };
}
