import type { Logger } from 'pino';
import type { RouteState } from '../routing/route-state.ts';
import type { Diagnostic } from '../routing/types.ts';
import type { RouteTable } from '../routing/route-table.ts';
import type { ObjectSet } from '../sources/object-set.ts';
import { type TranslateOptions, translate } from '../translate/translate.ts';

export interface AppliedTable {
  readonly table: RouteTable;
  readonly fingerprint: string;
  readonly appliedAt: string;
  readonly durationMs: number;
}

export interface ReconcilerHooks {
  /** A new table went live. */
  onApplied?(applied: AppliedTable, objects: ObjectSet): void;
  /** A diagnostic that was not present in the previous table. */
  onNewDiagnostic?(d: Diagnostic): void;
}

/** Several parties (telemetry, Kubernetes status) listen to the same reconciler. */
export function combineHooks(...list: (ReconcilerHooks | undefined)[]): ReconcilerHooks {
  const hooks = list.filter((h): h is ReconcilerHooks => h !== undefined);
  return {
    onApplied: (applied, objects) => {
      for (const h of hooks) h.onApplied?.(applied, objects);
    },
    onNewDiagnostic: (d) => {
      for (const h of hooks) h.onNewDiagnostic?.(d);
    },
  };
}

/**
 * Snapshot in, route table out: translates every snapshot a source emits and swaps the table in only
 * when its fingerprint changed, so an informer resync or an unrelated Secret never churns the proxy.
 */
export class Reconciler {
  private readonly routes: RouteState;
  private readonly opts: TranslateOptions;
  private readonly logger: Logger;
  private readonly hooks: ReconcilerHooks;
  private lastFingerprint = '';
  private lastDiagnostics = new Set<string>();
  current: AppliedTable | undefined;

  constructor(routes: RouteState, opts: TranslateOptions, logger: Logger, hooks: ReconcilerHooks = {}) {
    this.routes = routes;
    this.opts = opts;
    this.logger = logger.child({ component: 'reconciler' });
    this.hooks = hooks;
  }

  apply(objects: ObjectSet): AppliedTable | undefined {
    const started = performance.now();
    const { table, fingerprint } = translate(objects, this.opts);
    const durationMs = performance.now() - started;
    if (fingerprint === this.lastFingerprint) return undefined;
    this.lastFingerprint = fingerprint;
    this.routes.swap(table);
    const applied: AppliedTable = { table, fingerprint, appliedAt: new Date().toISOString(), durationMs };
    this.current = applied;

    const seen = new Set<string>();
    for (const d of table.diagnostics) {
      const key = `${d.namespace}/${d.ingress}|${d.reason}|${d.field ?? ''}|${d.message}`;
      seen.add(key);
      if (this.lastDiagnostics.has(key)) continue;
      const log = d.severity === 'error' ? this.logger.error.bind(this.logger) : this.logger.warn.bind(this.logger);
      log({ ingress: d.ingress ? `${d.namespace}/${d.ingress}` : undefined, reason: d.reason, field: d.field }, d.message);
      this.hooks.onNewDiagnostic?.(d);
    }
    this.lastDiagnostics = seen;
    this.logger.info(
      { fingerprint, routes: table.routes.length, ingresses: table.ingresses.length, diagnostics: table.diagnostics.length, translate_ms: Number(durationMs.toFixed(2)) },
      'route table applied',
    );
    this.hooks.onApplied?.(applied, objects);
    return applied;
  }
}
