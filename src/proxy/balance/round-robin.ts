import type { Endpoint } from '../../routing/types.ts';
import type { PickInput, Selector, Usable } from './selector.ts';

/**
 * The default: with no affinity asked for, consecutive requests (even from one client over fresh
 * connections) go to consecutive endpoints.
 */
export class RoundRobin implements Selector {
  private next = 0;
  private readonly endpoints: readonly Endpoint[];

  constructor(endpoints: readonly Endpoint[]) {
    this.endpoints = endpoints;
  }

  pick(_input: PickInput, usable: Usable): Endpoint | undefined {
    const n = this.endpoints.length;
    for (let i = 0; i < n; i++) {
      const ep = this.endpoints[(this.next + i) % n];
      if (usable(ep)) {
        this.next = (this.next + i + 1) % n;
        return ep;
      }
    }
    return undefined;
  }
}
