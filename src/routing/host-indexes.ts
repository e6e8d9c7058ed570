import type { PathIndex } from './path-index.ts';

/**
 * Path indexes by host. A table patched from another (an EndpointSlice changed) shares the other's map
 * and keeps only the indexes it replaced in a small map of its own, looked at first: copying a map of
 * 10,000 hosts for every pod that comes or goes would cost more than the change. When the changes pile
 * up past an eighth of the hosts, they are folded into a new map.
 */
export class HostIndexes {
  private readonly base: ReadonlyMap<string, PathIndex>;
  private readonly changed: ReadonlyMap<string, PathIndex> | undefined;

  constructor(base: ReadonlyMap<string, PathIndex>, changed?: ReadonlyMap<string, PathIndex>) {
    this.base = base;
    this.changed = changed !== undefined && changed.size > 0 ? changed : undefined;
  }

  get(host: string): PathIndex | undefined {
    if (this.changed !== undefined) {
      const index = this.changed.get(host);
      if (index !== undefined) return index;
    }
    return this.base.get(host);
  }

  has(host: string): boolean {
    return this.get(host) !== undefined;
  }

  get size(): number {
    return this.base.size;
  }

  /** These indexes with some hosts' indexes replaced (hosts this map already has). */
  with(replaced: ReadonlyMap<string, PathIndex>): HostIndexes {
    if (replaced.size === 0) return this;
    const changed = new Map(this.changed ?? []);
    for (const [host, index] of replaced) changed.set(host, index);
    if (changed.size <= 64 || changed.size <= this.base.size / 8) return new HostIndexes(this.base, changed);
    const flat = new Map(this.base);
    for (const [host, index] of changed) flat.set(host, index);
    return new HostIndexes(flat);
  }
}
