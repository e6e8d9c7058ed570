import { RegexCache, buildCandidates } from './candidates.ts';
import type { MatchRequest } from './conditions.ts';
import { normalizeHost, parentDomain, wildcardSuffix } from './host.ts';
import { HostIndexes } from './host-indexes.ts';
import { PathIndex, QueryCache } from './path-index.ts';
import type { GatewayStatusReport } from './gateway-status.ts';
import type { Backend, Diagnostic, Route, TlsCertificate } from './types.ts';

export interface RouteTableInput {
  /** Already sorted by precedence: on a conflict the earlier route keeps the slot. */
  readonly routes: readonly Route[];
  readonly defaultRoute?: Route;
  readonly backends: readonly Backend[];
  readonly diagnostics: readonly Diagnostic[];
  readonly certificates: readonly TlsCertificate[];
  /** From `RAUTA_DEFAULT_CERTIFICATE`, when that Secret exists and is valid. */
  readonly defaultCertificate?: TlsCertificate;
  /** Ingresses that are ours (served), as `namespace/name`, oldest first (the order conflicts are decided in). */
  readonly ingresses: readonly string[];
  /** Gateway API objects' computed status (plain data; written back by the leader). */
  readonly gatewayStatus?: GatewayStatusReport;
}

/**
 * An immutable, indexed route table. A request resolves its host first (exact, then the one wildcard
 * that could match, then rules without host), then walks its path; the cost does not depend on how many
 * Ingresses exist. Swapping tables is a single reference assignment, so requests in flight keep the
 * table they started with.
 */
export class RouteTable {
  readonly routes: readonly Route[];
  readonly defaultRoute: Route | undefined;
  readonly backends: readonly Backend[];
  readonly diagnostics: readonly Diagnostic[];
  readonly certificates: readonly TlsCertificate[];
  readonly defaultCertificate: TlsCertificate | undefined;
  readonly ingresses: readonly string[];
  readonly gatewayStatus: GatewayStatusReport | undefined;

  private exactHosts: HostIndexes;
  private wildcardHosts: HostIndexes;
  /** Gateway API wildcards match any number of labels (`*.example.com` matches `a.b.example.com`). */
  private deepWildcardHosts: HostIndexes;
  private anyHost: PathIndex;
  private readonly regexes = new RegexCache();
  private readonly random: () => number;
  /** Only tables with query-parameter matches parse query strings (Ingress-only tables never do). */
  private readonly usesQuery: boolean;
  private readonly noQuery = new QueryCache('');

  /**
   * `random` decides weighted splits (injectable so tests can be exact). With `previous`, the index of
   * every host whose routes are the very same objects, in the same order, is taken over instead of
   * rebuilt: a change to one Ingress among 10,000 rebuilds that Ingress's hosts only.
   */
  constructor(input: RouteTableInput, random: () => number = Math.random, previous?: RouteTable, patch?: Patch) {
    this.random = random;
    this.routes = Object.freeze([...input.routes]);
    this.defaultRoute = input.defaultRoute;
    this.backends = Object.freeze([...input.backends]);
    this.diagnostics = Object.freeze([...input.diagnostics]);
    this.certificates = Object.freeze([...input.certificates]);
    this.defaultCertificate = input.defaultCertificate;
    this.ingresses = Object.freeze([...input.ingresses]);
    this.gatewayStatus = input.gatewayStatus;
    this.usesQuery = this.routes.some((r) => (r.conditions?.query?.length ?? 0) > 0);
    if (patch !== undefined) {
      this.exactHosts = patch.exact;
      this.wildcardHosts = patch.wildcard;
      this.deepWildcardHosts = patch.deep;
      this.anyHost = patch.any;
      return;
    }
    const bySlot = new Map<string, Route[]>();
    for (const route of this.routes) {
      const slot = slotOf(route);
      const list = bySlot.get(slot);
      if (list === undefined) bySlot.set(slot, [route]);
      else list.push(route);
    }
    const exact = new Map<string, PathIndex>();
    const wildcard = new Map<string, PathIndex>();
    const deep = new Map<string, PathIndex>();
    let any: PathIndex | undefined;
    for (const [slot, routes] of bySlot) {
      const old = previous?.indexOf(slot);
      // Translation already resolved conflicts; should two routes still collide, the earlier one wins.
      const index = old !== undefined && sameRoutes(old.routes, routes) ? old : this.buildIndex(routes);
      const kind = slot.charCodeAt(0);
      if (kind === ANY) any = index;
      else (kind === EXACT ? exact : kind === DEEP ? deep : wildcard).set(slot.slice(1), index);
    }
    this.exactHosts = new HostIndexes(exact);
    this.wildcardHosts = new HostIndexes(wildcard);
    this.deepWildcardHosts = new HostIndexes(deep);
    this.anyHost = any ?? new PathIndex(this.regexes, random);
  }

  /**
   * `input` as a table, built by patching `base`: `input.routes` is `base.routes` with the routes of
   * `replaced` (keys) replaced at their places by others of the same host (a backend's endpoints
   * changed). Only the indexes of those hosts are rebuilt; the others are shared with `base`, which
   * stays as it is for the requests still using it. Undefined when a replacement moves to another host.
   */
  static patched(base: RouteTable, input: RouteTableInput, replaced: ReadonlyMap<Route, Route>): RouteTable | undefined {
    const rebuilt = new Map<string, PathIndex>();
    for (const [old, now] of replaced) {
      const slot = slotOf(old);
      if (slotOf(now) !== slot) return undefined;
      if (rebuilt.has(slot)) continue;
      const before = base.indexOf(slot);
      if (before !== undefined) rebuilt.set(slot, base.buildIndex(before.routes.map((r) => replaced.get(r) ?? r)));
    }
    const changes = { exact: new Map<string, PathIndex>(), wildcard: new Map<string, PathIndex>(), deep: new Map<string, PathIndex>() };
    let any = base.anyHost;
    for (const [slot, index] of rebuilt) {
      const kind = slot.charCodeAt(0);
      if (kind === ANY) any = index;
      else (kind === EXACT ? changes.exact : kind === DEEP ? changes.deep : changes.wildcard).set(slot.slice(1), index);
    }
    const patch: Patch = { exact: base.exactHosts.with(changes.exact), wildcard: base.wildcardHosts.with(changes.wildcard), deep: base.deepWildcardHosts.with(changes.deep), any };
    return new RouteTable(input, base.random, undefined, patch);
  }

  /** The index of a slot (see slotOf), if this table has it. */
  private indexOf(slot: string): PathIndex | undefined {
    const kind = slot.charCodeAt(0);
    if (kind === ANY) return this.anyHost.routes.length > 0 ? this.anyHost : undefined;
    return (kind === EXACT ? this.exactHosts : kind === DEEP ? this.deepWildcardHosts : this.wildcardHosts).get(slot.slice(1));
  }

  static empty(): RouteTable {
    return new RouteTable({ routes: [], backends: [], diagnostics: [], certificates: [], ingresses: [] });
  }

  /**
   * `rawHost` is the Host header (port and case are ignored); `path` excludes the query string.
   * `req` carries what Gateway API matches look at (method, headers, query, listener); routes with such
   * conditions never match without it. Hosts go from most to least specific: exact, then wildcards
   * (longest suffix first), then rules without host; within a host the path decides (see PathIndex).
   */
  match(rawHost: string | undefined, path: string, req?: MatchRequest): Route | undefined {
    const host = normalizeHost(rawHost);
    const query = this.usesQuery && req !== undefined && req.query !== '' ? new QueryCache(req.query) : this.noQuery;
    const exact = this.exactHosts.get(host);
    if (exact !== undefined) {
      const hit = exact.match(path, req, query);
      if (hit !== undefined) return hit;
    }
    let parent = parentDomain(host);
    if (parent !== undefined) {
      const wild = this.wildcardHosts.get(parent);
      if (wild !== undefined) {
        const hit = wild.match(path, req, query);
        if (hit !== undefined) return hit;
      }
    }
    if (this.deepWildcardHosts.size > 0) {
      while (parent !== undefined) {
        const wild = this.deepWildcardHosts.get(parent);
        if (wild !== undefined) {
          const hit = wild.match(path, req, query);
          if (hit !== undefined) return hit;
        }
        parent = parentDomain(parent);
      }
    }
    return this.anyHost.match(path, req, query) ?? this.defaultRoute;
  }

  /** True when some rule names this exact or wildcard host (used for TLS redirects and SNI). */
  hasHost(rawHost: string): boolean {
    const host = normalizeHost(rawHost);
    if (this.exactHosts.has(host)) return true;
    let parent = parentDomain(host);
    if (parent !== undefined && this.wildcardHosts.has(parent)) return true;
    while (parent !== undefined) {
      if (this.deepWildcardHosts.has(parent)) return true;
      parent = parentDomain(parent);
    }
    return false;
  }

  private buildIndex(routes: readonly Route[]): PathIndex {
    const index = new PathIndex(this.regexes, this.random, routes);
    for (const c of buildCandidates(routes, this.regexes)) index.add(c);
    return index;
  }
}

/** The indexes of a table made by patching another (see RouteTable.patched). */
interface Patch {
  readonly exact: HostIndexes;
  readonly wildcard: HostIndexes;
  readonly deep: HostIndexes;
  readonly any: PathIndex;
}

const ANY = 0x61; // a
const EXACT = 0x65; // e
const WILDCARD = 0x77; // w
const DEEP = 0x64; // d

/**
 * Which host index a route belongs to, as one string: kind letter + key. Weighted groups never span
 * hosts (their group names include the host), so each index can be built from its own routes.
 */
function slotOf(route: Route): string {
  let slot = slots.get(route);
  if (slot === undefined) {
    slot = computeSlot(route);
    slots.set(route, slot);
  }
  return slot;
}

/** Routes are immutable and most survive many tables: each one's slot is computed once. */
const slots = new WeakMap<Route, string>();

function computeSlot(route: Route): string {
  const host = route.host;
  if (host === '') return String.fromCharCode(ANY);
  const suffix = wildcardSuffix(host);
  if (suffix === undefined) return String.fromCharCode(EXACT) + host;
  // Gateway API wildcards match any number of labels; Ingress ones exactly one.
  const deep = route.source !== undefined && route.source.kind !== 'Ingress';
  return String.fromCharCode(deep ? DEEP : WILDCARD) + suffix;
}

function sameRoutes(a: readonly Route[], b: readonly Route[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
