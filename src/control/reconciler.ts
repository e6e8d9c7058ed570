import type { Logger } from 'pino';
import { RautaError } from '../errors.ts';
import { type RouteState, SwapError, type TableChange } from '../routing/route-state.ts';
import type { Diagnostic } from '../routing/types.ts';
import type { ObjectSet } from '../sources/object-set.ts';
import { TranslationMemo } from '../translate/memo.ts';
import { type TranslateOptions, type Translation, translate } from '../translate/translate.ts';
import type { TranslateThread } from './translate-thread.ts';

/** A table that went live (what /routes, the web UI and `rauta.config` events describe). */
export type AppliedTable = TableChange;

/** The last snapshot that could not be applied; shown in /routes until a later table applies. */
export interface ApplyFailure {
  readonly at: string;
  /** The fingerprint of the table that was refused ('' when translation itself failed). */
  readonly fingerprint: string;
  /** Who refused it: a swap participant, or `translate`. */
  readonly stage: string;
  readonly code: string;
  readonly message: string;
}

export interface ReconcilerOptions extends TranslateOptions {
  /** A snapshot could not be applied (counted as `rauta_config_reloads_total{result="failure"}`). */
  readonly onFailure?: (failure: ApplyFailure) => void;
  /** Where `submit` translates (a worker thread); without it `submit` translates in place, as `apply`. */
  readonly thread?: TranslateThread;
}

const diagnosticKey = (d: Diagnostic) => `${d.kind ?? 'Ingress'}|${d.namespace}/${d.ingress}|${d.reason}|${d.field ?? ''}|${d.message}`;

/**
 * Snapshot in, route table out: translates every snapshot a source emits and swaps the table in only
 * when its fingerprint changed, so an informer resync or an unrelated Secret never churns the proxy.
 *
 * `apply` never throws: it runs from debounce timers, where an exception would end the process. When a
 * swap is refused the fingerprint is not recorded, so the next snapshot (even an identical one) retries.
 */
export class Reconciler {
  private readonly routes: RouteState;
  private readonly opts: ReconcilerOptions;
  private readonly translateOpts: TranslateOptions;
  private readonly logger: Logger;
  private lastFingerprint = '';
  private lastDiagnostics = new Set<string>();
  private queued: ObjectSet | undefined;
  private draining: Promise<void> | undefined;
  current: AppliedTable | undefined;
  /** The most recent failure, cleared when a table applies. */
  lastFailure: ApplyFailure | undefined;
  failures = 0;

  constructor(routes: RouteState, opts: ReconcilerOptions, logger: Logger) {
    this.routes = routes;
    this.opts = opts;
    // Certificates, backends and routes carry over from one translation to the next where unchanged.
    this.translateOpts = { ...opts, memo: opts.memo ?? new TranslationMemo() };
    this.logger = logger.child({ component: 'reconciler' });
  }

  /**
   * Takes a snapshot from a source. With a translation thread, the snapshot is translated there and
   * the table applied when it comes back; snapshots arriving meanwhile are coalesced (only the newest
   * is translated next). `settled` resolves once nothing is waiting.
   */
  submit(objects: ObjectSet): void {
    const thread = this.opts.thread;
    if (thread === undefined) {
      this.apply(objects);
      return;
    }
    this.queued = objects;
    if (this.draining === undefined) this.draining = this.drain(thread).finally(() => {
      this.draining = undefined;
    });
  }

  /** Resolves when every submitted snapshot has been translated and applied (or refused). */
  async settled(): Promise<void> {
    while (this.draining !== undefined) await this.draining;
  }

  private async drain(thread: TranslateThread): Promise<void> {
    for (let objects = this.queued; objects !== undefined; objects = this.queued) {
      this.queued = undefined;
      let translation: Translation & { durationMs: number };
      try {
        translation = await thread.translate(objects);
      } catch (err) {
        this.fail('translate', '', err);
        continue;
      }
      this.install(translation, translation.durationMs);
    }
  }

  /** Translates in place and applies the table (tests, embedders, `rauta translate`). */
  apply(objects: ObjectSet): AppliedTable | undefined {
    const started = performance.now();
    let translation: Translation;
    try {
      translation = translate(objects, this.translateOpts);
    } catch (err) {
      // Translation is meant to turn every bad object into a diagnostic; reaching this is a bug in it.
      this.fail('translate', '', err);
      return undefined;
    }
    return this.install(translation, performance.now() - started);
  }

  private install(translation: Translation, durationMs: number): AppliedTable | undefined {
    const { table, fingerprint } = translation;
    if (fingerprint === this.lastFingerprint) return undefined;

    const seen = new Set<string>();
    const newDiagnostics: Diagnostic[] = [];
    for (const d of table.diagnostics) {
      const key = diagnosticKey(d);
      seen.add(key);
      if (!this.lastDiagnostics.has(key)) newDiagnostics.push(d);
    }
    const applied: AppliedTable = { table, fingerprint, appliedAt: new Date().toISOString(), durationMs, newDiagnostics };
    try {
      this.routes.swap(applied);
    } catch (err) {
      if (!(err instanceof SwapError && err.committed)) {
        this.fail(err instanceof SwapError ? err.participant : 'swap', fingerprint, err);
        return undefined;
      }
      // The table is live; a participant broke the commit contract. Loud, but the table counts as applied.
      this.logger.error({ err, participant: err.participant }, err.message);
    }
    this.lastFingerprint = fingerprint;
    this.lastDiagnostics = seen;
    this.current = applied;
    this.lastFailure = undefined;

    for (const d of newDiagnostics) {
      const log = d.severity === 'error' ? this.logger.error.bind(this.logger) : this.logger.warn.bind(this.logger);
      log({ ingress: d.ingress ? `${d.namespace}/${d.ingress}` : undefined, kind: d.kind, reason: d.reason, field: d.field }, d.message);
    }
    this.logger.info(
      { fingerprint, routes: table.routes.length, ingresses: table.ingresses.length, diagnostics: table.diagnostics.length, translate_ms: Number(durationMs.toFixed(2)) },
      'route table applied',
    );
    return applied;
  }

  private fail(stage: string, fingerprint: string, err: unknown): void {
    const failure: ApplyFailure = {
      at: new Date().toISOString(),
      fingerprint,
      stage,
      code: err instanceof RautaError ? err.code : 'RAUTA_ERR_INTERNAL',
      message: (err as Error | undefined)?.message ?? String(err),
    };
    this.lastFailure = failure;
    this.failures++;
    this.logger.error({ err, stage, fingerprint: fingerprint || undefined }, 'configuration not applied; the previous route table stays live and the next snapshot retries');
    try {
      this.opts.onFailure?.(failure);
    } catch (e) {
      this.logger.error({ err: e }, 'reporting a failed configuration failed');
    }
  }
}
