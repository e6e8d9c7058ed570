import type { Endpoint } from '../../routing/types.ts';

export interface PassiveOptions {
  /** Consecutive failures that eject an endpoint; 0 turns passive ejection off. */
  readonly failureThreshold: number;
  readonly baseEjectionMs: number;
  /** Longest single ejection, however often the endpoint was ejected before. */
  readonly maxEjectionMs: number;
  /** Most of a Service's endpoints that may be ejected at once, in percent. */
  readonly maxEjectionPercent: number;
  readonly now?: () => number;
}

interface OutlierState {
  consecutiveFailures: number;
  /** Epoch ms the ejection ends; 0 when not ejected. */
  ejectedUntil: number;
  /** Recent ejections, decayed by one per base period spent un-ejected. */
  ejections: number;
  returnedAt: number;
  timer: NodeJS.Timeout | undefined;
}

/** Endpoint membership, for the ejection cap: the ready endpoints of every Service this key serves. */
export type PeersOf = (key: string) => readonly (readonly Endpoint[])[];

/** Called after an endpoint's ejection state flipped. */
export type OutlierChange = (key: string, reason: string) => void;

/**
 * Passive outlier detection, always on (as Envoy's consecutive-5xx / consecutive-gateway-failure
 * detectors): every attempt's outcome is reported; `failureThreshold` consecutive failures eject the
 * endpoint for baseEjection × (recent ejections), capped. A Service never has more than
 * maxEjectionPercent of its endpoints ejected (at least one may always be), so a bad deploy that breaks
 * every pod degrades into errors instead of an empty pool. Return is timer-driven, so it is logged and
 * published even when no traffic arrives.
 */
export class OutlierDetector {
  private readonly states = new Map<string, OutlierState>();
  private readonly opts: PassiveOptions;
  private readonly now: () => number;
  private readonly peersOf: PeersOf;
  private readonly changed: OutlierChange;

  constructor(opts: PassiveOptions, peersOf: PeersOf, changed: OutlierChange) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.peersOf = peersOf;
    this.changed = changed;
  }

  isEjected(key: string): boolean {
    const s = this.states.get(key);
    return s !== undefined && s.ejectedUntil > this.now();
  }

  ejectedUntil(key: string): number | undefined {
    const s = this.states.get(key);
    return s !== undefined && s.ejectedUntil > this.now() ? s.ejectedUntil : undefined;
  }

  consecutiveFailures(key: string): number {
    return this.states.get(key)?.consecutiveFailures ?? 0;
  }

  /** `failure` is a short reason (an error code, "status 503"), or undefined for a success. */
  record(key: string, failure: string | undefined): void {
    if (failure === undefined) {
      const s = this.states.get(key);
      if (s !== undefined) s.consecutiveFailures = 0;
      return;
    }
    const s = this.stateFor(key);
    s.consecutiveFailures++;
    const threshold = this.opts.failureThreshold;
    if (threshold === 0 || s.consecutiveFailures < threshold || this.isEjected(key)) return;
    if (!this.mayEject(key)) return;
    const now = this.now();
    const idlePeriods = s.returnedAt === 0 ? 0 : Math.floor((now - s.returnedAt) / this.opts.baseEjectionMs);
    s.ejections = Math.max(0, s.ejections - idlePeriods) + 1;
    const duration = Math.min(this.opts.baseEjectionMs * s.ejections, Math.max(this.opts.maxEjectionMs, this.opts.baseEjectionMs));
    s.ejectedUntil = now + duration;
    clearTimeout(s.timer);
    s.timer = setTimeout(() => this.sweep(), duration + 1);
    s.timer.unref();
    this.changed(key, `${s.consecutiveFailures} consecutive failures (last: ${failure}); ejected for ${(duration / 1000).toFixed(1)} s`);
  }

  /** Returns endpoints whose ejection time is over. Runs from timers; tests with a fake clock call it. */
  sweep(): void {
    const now = this.now();
    for (const [key, s] of this.states) {
      if (s.ejectedUntil !== 0 && s.ejectedUntil <= now) {
        s.ejectedUntil = 0;
        s.returnedAt = now;
        s.consecutiveFailures = 0;
        clearTimeout(s.timer);
        s.timer = undefined;
        this.changed(key, 'ejection time over');
      }
    }
  }

  /** Drops state of endpoints no longer in any Service. */
  /** Endpoints with anything recorded (failures counted or an ejection). */
  tracked(): IterableIterator<string> {
    return this.states.keys();
  }

  retain(keys: { has(key: string): boolean }): void {
    for (const [key, s] of this.states) {
      if (keys.has(key)) continue;
      clearTimeout(s.timer);
      this.states.delete(key);
    }
  }

  stop(): void {
    for (const s of this.states.values()) clearTimeout(s.timer);
    this.states.clear();
  }

  private mayEject(key: string): boolean {
    const pct = this.opts.maxEjectionPercent;
    if (pct <= 0) return false;
    for (const peers of this.peersOf(key)) {
      let ejected = 0;
      for (const p of peers) if (p.key !== key && this.isEjected(p.key)) ejected++;
      const allowed = Math.max(1, Math.floor((peers.length * pct) / 100));
      if (ejected + 1 > allowed) return false;
    }
    return true;
  }

  private stateFor(key: string): OutlierState {
    let s = this.states.get(key);
    if (s === undefined) {
      s = { consecutiveFailures: 0, ejectedUntil: 0, ejections: 0, returnedAt: 0, timer: undefined };
      this.states.set(key, s);
    }
    return s;
  }
}
