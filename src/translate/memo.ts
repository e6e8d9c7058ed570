import { createHash } from 'node:crypto';
import type { RouteTable, RouteTableInput } from '../routing/route-table.ts';
import type { Backend, Route } from '../routing/types.ts';
import type { EndpointSlice, ObjectSet, Service } from '../sources/object-set.ts';
import { BackendMemo } from './backends.ts';
import { CertificateChecker } from './tls.ts';

/**
 * What one translation leaves to the next (the reconciler keeps one): compiled certificates, backends
 * with the objects they came from, and the routes it built. Translation stays a whole-snapshot, pure
 * function; the memo only makes its output share objects with the previous output where nothing
 * changed, so everything after it (fingerprint, route indexes, selectors, the copies sent to workers)
 * can skip what is the same object as last time.
 */
export class TranslationMemo {
  readonly certificates = new CertificateChecker();
  readonly backends = new BackendMemo();
  /** The snapshot and table of the latest translation (the next one takes over what it can). */
  objects: ObjectSet | undefined;
  table: RouteTable | undefined;
  /** The snapshot's Services by `namespace/name` (an EndpointSlice change leaves them as they are). */
  services: ReadonlyMap<string, Service> | undefined;
  /** Its EndpointSlices by Service (`namespace/name`), in snapshot order. */
  slices: Map<string, readonly EndpointSlice[]> | undefined;
  /** Where things are in `table`: its backends' places by Service, its routes' places by backend id. */
  places: { readonly backends: ReadonlyMap<string, readonly number[]>; readonly routes: ReadonlyMap<string, readonly number[]> } | undefined;
  private routes = new Map<string, Route>();
  private readonly routeKeys = new WeakMap<Route, string>();
  /** Digest of the latest table's routes and everything else but its backends (see fingerprint). */
  private rest: Buffer | undefined;
  /** Per Backend object (frozen, so they cannot go stale): its digest as eight 32-bit words. */
  private readonly backendDigests = new WeakMap<Backend, Uint32Array>();
  /** The sum of the latest table's backend digests (see fingerprint). */
  private backendSum = new Uint32Array(8);
  private backendCount = 0;

  /**
   * The table input with every route that equals one of the previous translation (same fields, same
   * Backend object) replaced by that route, and the fingerprint of the whole table.
   */
  settle(input: RouteTableInput): { readonly input: RouteTableInput; readonly fingerprint: string } {
    const h = createHash('sha256');
    const byId = new Map<string, Backend>();
    for (const b of input.backends) byId.set(b.id, b);
    const previous = this.routes;
    const next = new Map<string, Route>();
    const settle = (r: Route): Route => {
      const key = JSON.stringify({ ...r, backend: r.backend.id });
      h.update(key);
      // A backend that is not the table's own copy (never, for translated tables) is hashed with the route.
      if (byId.get(r.backend.id) !== r.backend) h.update(JSON.stringify(r.backend));
      if (next.has(key)) return r; // the same route twice: each keeps its own object
      const old = previous.get(key);
      const kept = old !== undefined && old.backend === r.backend ? old : r;
      next.set(key, kept);
      this.routeKeys.set(kept, key);
      return kept;
    };
    const routes = input.routes.map(settle);
    h.update('\u0000default');
    const defaultRoute = input.defaultRoute === undefined ? undefined : settle(input.defaultRoute);
    this.routes = next;
    h.update(JSON.stringify([input.diagnostics, input.ingresses, input.gatewayStatus ?? null]));
    for (const c of input.certificates) h.update(c.id).update(c.cert).update(c.key);
    const d = input.defaultCertificate;
    if (d) h.update('default').update(d.id).update(d.cert).update(d.key);
    this.rest = h.digest();
    this.backendSum = new Uint32Array(8);
    for (const b of input.backends) this.add(b, 1);
    this.backendCount = input.backends.length;
    return { input: { ...input, routes, defaultRoute }, fingerprint: this.fingerprint() };
  }

  /**
   * After `settle`, a table that differs from it only in backend objects (same ids, new endpoints):
   * the routes that now point at a new backend replace their old selves for the next `settle`, and the
   * fingerprint is what a full translation of the same objects would give.
   */
  reuseWithBackends(replaced: readonly (readonly [Route, Route])[], moved: ReadonlyMap<Backend, Backend>): string {
    for (const [old, now] of moved) {
      this.add(old, -1);
      this.add(now, 1);
    }
    for (const [old, now] of replaced) {
      const key = this.routeKeys.get(old);
      if (key === undefined || this.routes.get(key) !== old) continue;
      this.routes.set(key, now);
      this.routeKeys.set(now, key);
    }
    return this.fingerprint();
  }

  /** Records `table` as the latest, with where its backends and routes are (see endpoints-only.ts). */
  keep(objects: ObjectSet, table: RouteTable, services: ReadonlyMap<string, Service>, slices: ReadonlyMap<string, readonly EndpointSlice[]>): void {
    this.objects = objects;
    this.table = table;
    this.services = services;
    this.slices = new Map(slices);
    const backends = new Map<string, number[]>();
    table.backends.forEach((b, i) => push(backends, `${b.namespace}/${b.service}`, i));
    const routes = new Map<string, number[]>();
    table.routes.forEach((r, i) => push(routes, r.backend.id, i));
    this.places = { backends, routes };
  }

  /** Ends one translation: certificates and backends it did not use are forgotten. */
  sweep(): void {
    this.certificates.sweep();
    this.backends.sweep();
  }

  /**
   * Equal fingerprints mean equal tables. Backends enter as a sum of per-backend digests: an order-free
   * combination (ids are unique and sorted anyway) that a change of one backend updates without
   * rehashing the other 9,999 (the sum is kept and adjusted).
   */
  private fingerprint(): string {
    return createHash('sha256').update(this.rest ?? '').update(this.backendSum).update(String(this.backendCount)).digest('hex').slice(0, 16);
  }

  /** Adds (sign 1) or takes out (sign -1) one backend's digest, modulo 2^32 per word. */
  private add(b: Backend, sign: 1 | -1): void {
    const d = this.digestOf(b);
    const sum = this.backendSum;
    for (let i = 0; i < 8; i++) sum[i] = (sum[i] + sign * d[i]) >>> 0;
  }

  private digestOf(b: Backend): Uint32Array {
    let d = this.backendDigests.get(b);
    if (d === undefined) {
      const bytes = createHash('sha256').update(JSON.stringify(b)).digest();
      d = new Uint32Array(8);
      for (let i = 0; i < 8; i++) d[i] = bytes.readUInt32LE(i * 4);
      this.backendDigests.set(b, d);
    }
    return d;
  }
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
