import type { Route } from './types.ts';

/** Prefix paths compare element-wise, so `/foo/` and `/foo` are the same prefix. */
export function normalizePrefix(path: string): string {
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === 47 /* / */) end--;
  return path.slice(0, end);
}

/**
 * The paths of one host. A lookup costs O(length of the request path), whatever the number of routes:
 * one map probe for Exact, then one per path element for Prefix, longest first.
 */
export class PathIndex {
  private readonly exact = new Map<string, Route>();
  private readonly prefix = new Map<string, Route>();

  /** Returns false when the slot is already taken (the caller reports the conflict). */
  add(route: Route): boolean {
    if (route.pathType === 'Exact') {
      if (this.exact.has(route.path)) return false;
      this.exact.set(route.path, route);
      return true;
    }
    const key = normalizePrefix(route.path);
    if (this.prefix.has(key)) return false;
    this.prefix.set(key, route);
    return true;
  }

  match(path: string): Route | undefined {
    const exact = this.exact.get(path);
    if (exact !== undefined) return exact;
    if (this.prefix.size === 0) return undefined;
    let end = normalizePrefix(path).length;
    for (;;) {
      const hit = this.prefix.get(end === 0 ? '/' : path.slice(0, end));
      if (hit !== undefined) return hit;
      if (end <= 1) return undefined;
      end = path.lastIndexOf('/', end - 1);
      if (end < 0) return undefined;
    }
  }

  get size(): number {
    return this.exact.size + this.prefix.size;
  }
}
