import type { Endpoint } from '../../routing/types.ts';
import type { PickInput, Selector, Usable } from './selector.ts';

/** Read access to requests in flight per endpoint key (`InFlight` satisfies it). */
export interface InFlightCounts {
  get(key: string): number;
}

/** A source of uniform numbers in [0, 1); injectable so tests can be exact. */
export type Random = () => number;

/**
 * `rauta.io/load-balance: least-request`: the power of two choices (Mitzenmacher). Two distinct usable
 * endpoints are drawn at random and the one with fewer requests in flight wins. It avoids the herd
 * behaviour of "always the global least" (every proxy piling onto the same idle pod) while still
 * steering away from slow pods, at O(1) cost.
 */
export class LeastRequest implements Selector {
  private readonly endpoints: readonly Endpoint[];
  private readonly inFlight: InFlightCounts;
  private readonly random: Random;

  constructor(endpoints: readonly Endpoint[], inFlight: InFlightCounts, random: Random = Math.random) {
    this.endpoints = endpoints;
    this.inFlight = inFlight;
    this.random = random;
  }

  pick(_input: PickInput, usable: Usable): Endpoint | undefined {
    const n = this.endpoints.length;
    if (n === 0) return undefined;
    const a = this.firstUsable(Math.floor(this.random() * n), usable, -1);
    if (a === -1) return undefined;
    // The second draw skips the first one, so the two choices are distinct whenever two exist.
    const b = this.firstUsable(Math.floor(this.random() * n), usable, a);
    if (b === -1) return this.endpoints[a];
    const ea = this.endpoints[a];
    const eb = this.endpoints[b];
    return this.inFlight.get(eb.key) < this.inFlight.get(ea.key) ? eb : ea;
  }

  /** Index of the first usable endpoint at or after `start` (wrapping), other than `except`; -1 if none. */
  private firstUsable(start: number, usable: Usable, except: number): number {
    const n = this.endpoints.length;
    for (let i = 0; i < n; i++) {
      const idx = (start + i) % n;
      if (idx !== except && usable(this.endpoints[idx])) return idx;
    }
    return -1;
  }
}
