import { normalizeHost, parentDomain, wildcardSuffix } from './host.ts';
import { PathIndex } from './path-index.ts';
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
  /** Ingresses that are ours (served), as `namespace/name`, sorted. */
  readonly ingresses: readonly string[];
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

  private readonly exactHosts = new Map<string, PathIndex>();
  private readonly wildcardHosts = new Map<string, PathIndex>();
  private readonly anyHost = new PathIndex();

  constructor(input: RouteTableInput) {
    this.routes = Object.freeze([...input.routes]);
    this.defaultRoute = input.defaultRoute;
    this.backends = Object.freeze([...input.backends]);
    this.diagnostics = Object.freeze([...input.diagnostics]);
    this.certificates = Object.freeze([...input.certificates]);
    this.defaultCertificate = input.defaultCertificate;
    this.ingresses = Object.freeze([...input.ingresses]);
    // Translation already resolved conflicts; should two routes still collide, the earlier one wins.
    for (const route of this.routes) this.indexFor(route.host).add(route);
  }

  static empty(): RouteTable {
    return new RouteTable({ routes: [], backends: [], diagnostics: [], certificates: [], ingresses: [] });
  }

  /** `rawHost` is the Host header (port and case are ignored); `path` excludes the query string. */
  match(rawHost: string | undefined, path: string): Route | undefined {
    const host = normalizeHost(rawHost);
    const exact = this.exactHosts.get(host);
    if (exact !== undefined) {
      const hit = exact.match(path);
      if (hit !== undefined) return hit;
    }
    const parent = parentDomain(host);
    if (parent !== undefined) {
      const wild = this.wildcardHosts.get(parent);
      if (wild !== undefined) {
        const hit = wild.match(path);
        if (hit !== undefined) return hit;
      }
    }
    return this.anyHost.match(path) ?? this.defaultRoute;
  }

  /** True when some rule names this exact or wildcard host (used for TLS redirects and SNI). */
  hasHost(rawHost: string): boolean {
    const host = normalizeHost(rawHost);
    if (this.exactHosts.has(host)) return true;
    const parent = parentDomain(host);
    return parent !== undefined && this.wildcardHosts.has(parent);
  }

  private indexFor(host: string): PathIndex {
    if (host === '') return this.anyHost;
    const suffix = wildcardSuffix(host);
    const map = suffix === undefined ? this.exactHosts : this.wildcardHosts;
    const key = suffix ?? host;
    let index = map.get(key);
    if (index === undefined) {
      index = new PathIndex();
      map.set(key, index);
    }
    return index;
  }
}
