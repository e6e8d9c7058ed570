import { type Candidate, QueryCache, type RegexCache, chooseRoute } from './candidates.ts';
import type { MatchRequest } from './conditions.ts';
import type { Route } from './types.ts';

/** Prefix paths compare element-wise, so `/foo/` and `/foo` are the same prefix. */
export function normalizePrefix(path: string): string {
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === 47 /* / */) end--;
  return path.slice(0, end);
}

/**
 * Inserts keeping the list in precedence order: higher rank first, then insertion order (translation
 * adds older objects first, so on a tie the older one wins, as both APIs specify).
 */
function insertRanked(list: Candidate[], c: Candidate): void {
  let i = list.length;
  while (i > 0 && list[i - 1].rank < c.rank) i--;
  list.splice(i, 0, c);
}

/**
 * The paths of one host. A lookup costs O(length of the request path), whatever the number of routes:
 * one map probe for Exact, then one per path element for Prefix, longest first. Each slot holds the
 * candidates for that path in precedence order; an Ingress slot holds one unconditional candidate, so
 * its lookup is what it always was. Regular-expression paths (Gateway API) are tried after Exact and
 * before Prefix, longest pattern first, and only on hosts that have them.
 */
export class PathIndex {
  /**
   * A slot holds the Route itself while it is one unconditional route (every Ingress path), so an
   * Ingress lookup touches exactly what it did before Gateway API matching existed: map → route. Slots
   * with conditions or weighted groups hold their candidates in precedence order.
   */
  private readonly exact = new Map<string, Route | Candidate[]>();
  private readonly prefix = new Map<string, Route | Candidate[]>();
  private readonly regex: { readonly pattern: string; readonly candidates: Candidate[] }[] = [];
  private readonly regexes: RegexCache;
  private readonly random: () => number;
  /** The routes this index was built from, in table order (a later table compares them to reuse it). */
  readonly routes: readonly Route[];

  constructor(regexes: RegexCache, random: () => number, routes: readonly Route[] = []) {
    this.regexes = regexes;
    this.random = random;
    this.routes = routes;
  }

  add(c: Candidate): void {
    const route = c.route;
    if (route.pathType === 'RegularExpression') {
      let slot = this.regex.find((r) => r.pattern === route.path);
      if (slot === undefined) {
        slot = { pattern: route.path, candidates: [] };
        // Longest pattern first: a rough but stable stand-in for "most specific".
        let i = this.regex.length;
        while (i > 0 && this.regex[i - 1].pattern.length < route.path.length) i--;
        this.regex.splice(i, 0, slot);
      }
      insertRanked(slot.candidates, c);
      return;
    }
    const map = route.pathType === 'Exact' ? this.exact : this.prefix;
    const key = route.pathType === 'Exact' ? route.path : normalizePrefix(route.path);
    const slot = map.get(key);
    const plain = c.test === undefined && c.choices === undefined;
    if (slot === undefined) {
      map.set(key, plain ? route : [c]);
      return;
    }
    if (Array.isArray(slot)) {
      insertRanked(slot, c);
      return;
    }
    // A second route joins a slot that held one plain route: the slot becomes a ranked list.
    const list: Candidate[] = [{ route: slot, test: undefined, choices: undefined, cumulative: undefined, rank: 0 }];
    insertRanked(list, c);
    map.set(key, list);
  }

  match(path: string, req: MatchRequest | undefined, query: QueryCache): Route | undefined {
    const exact = this.exact.get(path);
    if (exact !== undefined) {
      if (!Array.isArray(exact)) return exact;
      const hit = this.pick(exact, req, query);
      if (hit !== undefined) return hit;
    }
    for (const slot of this.regex) {
      if (!this.regexes.fullMatch(slot.pattern, path)) continue;
      const hit = this.pick(slot.candidates, req, query);
      if (hit !== undefined) return hit;
    }
    if (this.prefix.size === 0) return undefined;
    let end = normalizePrefix(path).length;
    for (;;) {
      const slot = this.prefix.get(end === 0 ? '/' : path.slice(0, end));
      if (slot !== undefined) {
        if (!Array.isArray(slot)) return slot;
        const hit = this.pick(slot, req, query);
        if (hit !== undefined) return hit;
      }
      if (end <= 1) return undefined;
      end = path.lastIndexOf('/', end - 1);
      if (end < 0) return undefined;
    }
  }

  private pick(list: readonly Candidate[], req: MatchRequest | undefined, query: QueryCache): Route | undefined {
    for (const c of list) {
      if (c.test !== undefined && !c.test(req, query)) continue;
      if (c.choices === undefined) return c.route;
      // Translation never emits a group whose weights are all 0 (that rule answers 500 instead).
      return chooseRoute(c, this.random) ?? c.route;
    }
    return undefined;
  }

  get size(): number {
    let n = this.regex.length;
    for (const l of [...this.exact.values(), ...this.prefix.values()]) n += Array.isArray(l) ? l.length : 1;
    return n;
  }
}

export { QueryCache };
