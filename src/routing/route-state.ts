import type { RouteTable } from '../routing/route-table.ts';

/**
 * The current route table. Replacing it is one assignment: a request reads it once, at accept, and
 * keeps that table until it finishes.
 */
export class RouteState {
  private current: RouteTable;
  private readonly listeners: ((table: RouteTable) => void)[] = [];
  /** Set once the first complete configuration has been applied. */
  applied = false;

  constructor(initial: RouteTable) {
    this.current = initial;
  }

  get table(): RouteTable {
    return this.current;
  }

  swap(table: RouteTable): void {
    // Listeners (balancer, health, certificates) prepare first, so the first request on the new table
    // finds everything built.
    for (const l of this.listeners) l(table);
    this.current = table;
    this.applied = true;
  }

  onSwap(listener: (table: RouteTable) => void): void {
    this.listeners.push(listener);
  }
}
