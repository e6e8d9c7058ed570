import { RE2JS } from 're2js';
import type { HeaderCondition, MatchRequest, QueryCondition, RouteConditions } from './conditions.ts';
import type { Route } from './types.ts';

/**
 * One entry of a path index: a route, or a weighted group of routes that share the same match (an
 * HTTPRoute rule's backendRefs), plus its conditions compiled to a predicate. Built once per table, on
 * the side, so the table itself stays plain data; regular expressions run on RE2 (linear time), so no
 * request can make a route's regex stall the proxy.
 */
export interface Candidate {
  readonly route: Route;
  /** Undefined: no condition beyond host and path (every Ingress route): the fast path. */
  readonly test: ((req: MatchRequest | undefined, query: QueryCache) => boolean) | undefined;
  /** A weighted group: the routes and their running weight totals. */
  readonly choices: readonly Route[] | undefined;
  readonly cumulative: readonly number[] | undefined;
  /** Precedence after the path: method, then header count, then query-parameter count (Gateway API). */
  readonly rank: number;
}

/** Parses the query string at most once per request, and only when some route looks at it. */
export class QueryCache {
  private parsed: URLSearchParams | undefined;
  private readonly raw: string;
  constructor(raw: string) {
    this.raw = raw;
  }
  first(name: string): string | null {
    this.parsed ??= new URLSearchParams(this.raw);
    return this.parsed.get(name);
  }
}

/** Compiles each distinct pattern of a table once. A pattern that does not compile never matches. */
export class RegexCache {
  private readonly compiled = new Map<string, RE2JS | null>();

  get(pattern: string): RE2JS | null {
    let re = this.compiled.get(pattern);
    if (re === undefined) {
      try {
        re = RE2JS.compile(pattern);
      } catch {
        // Translation rejects such routes with a diagnostic; should one slip through it matches nothing.
        re = null;
      }
      this.compiled.set(pattern, re);
    }
    return re;
  }

  /** Whole-string match, as Envoy's safe_regex and the Gateway API implementations do. */
  fullMatch(pattern: string, input: string): boolean {
    return this.get(pattern)?.testExact(input) ?? false;
  }
}

function headerValue(req: MatchRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function compileHeader(h: HeaderCondition, regexes: RegexCache): (req: MatchRequest) => boolean {
  if (h.type === 'Exact') return (req) => headerValue(req, h.name) === h.value;
  const re = regexes.get(h.value);
  return (req) => {
    const v = headerValue(req, h.name);
    return v !== undefined && (re?.testExact(v) ?? false);
  };
}

function compileQuery(q: QueryCondition, regexes: RegexCache): (query: QueryCache) => boolean {
  if (q.type === 'Exact') return (query) => query.first(q.name) === q.value;
  const re = regexes.get(q.value);
  return (query) => {
    const v = query.first(q.name);
    return v !== null && (re?.testExact(v) ?? false);
  };
}

export function compileConditions(c: RouteConditions | undefined, regexes: RegexCache): Candidate['test'] {
  if (c === undefined) return undefined;
  const tests: ((req: MatchRequest, query: QueryCache) => boolean)[] = [];
  if (c.scheme !== undefined) tests.push((req) => req.scheme === c.scheme);
  if (c.method !== undefined) tests.push((req) => req.method === c.method);
  for (const h of c.headers ?? []) {
    const t = compileHeader(h, regexes);
    tests.push((req) => t(req));
  }
  for (const q of c.query ?? []) {
    const t = compileQuery(q, regexes);
    tests.push((_req, query) => t(query));
  }
  if (tests.length === 0) return undefined;
  return (req, query) => {
    if (req === undefined) return false;
    for (const t of tests) if (!t(req, query)) return false;
    return true;
  };
}

export function rankOf(c: RouteConditions | undefined): number {
  // Method outranks any number of headers, headers outrank any number of query params (both capped
  // well above what a route may declare: 16 each in the Gateway API CRD).
  const method = c?.method !== undefined ? 1 : 0;
  return method * 1_000_000 + Math.min(c?.headers?.length ?? 0, 999) * 1000 + Math.min(c?.query?.length ?? 0, 999);
}

/** Builds the candidates of a table: routes sharing a split group become one weighted candidate. */
export function buildCandidates(routes: readonly Route[], regexes: RegexCache): Candidate[] {
  const out: Candidate[] = [];
  const groups = new Map<string, Route[]>();
  for (const route of routes) {
    const group = route.split?.group;
    if (group === undefined) {
      out.push({ route, test: compileConditions(route.conditions, regexes), choices: undefined, cumulative: undefined, rank: rankOf(route.conditions) });
      continue;
    }
    const members = groups.get(group);
    if (members !== undefined) {
      members.push(route);
      continue;
    }
    const list = [route];
    groups.set(group, list);
    // The group's candidate takes the place of its first route; the list fills in as we go.
    out.push({ route, test: compileConditions(route.conditions, regexes), choices: list, cumulative: undefined, rank: rankOf(route.conditions) });
  }
  return out.map((c) => {
    if (c.choices === undefined) return c;
    const cumulative: number[] = [];
    let total = 0;
    for (const r of c.choices) cumulative.push((total += Math.max(0, r.split?.weight ?? 0)));
    return { ...c, cumulative };
  });
}

/** Picks one route of a candidate (weighted), or undefined when every weight is 0. */
export function chooseRoute(c: Candidate, random: () => number): Route | undefined {
  const choices = c.choices;
  const cumulative = c.cumulative;
  if (choices === undefined || cumulative === undefined) return c.route;
  if (choices.length === 1) return cumulative[0] > 0 ? choices[0] : undefined;
  const total = cumulative[cumulative.length - 1];
  if (total <= 0) return undefined;
  const x = random() * total;
  for (let i = 0; i < cumulative.length; i++) if (x < cumulative[i]) return choices[i];
  return choices[choices.length - 1];
}
