import { createHash } from 'node:crypto';
import type { RouteTable, RouteTableInput } from '../routing/route-table.ts';
import type { Backend, Route } from '../routing/types.ts';
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
  /** The latest table built: the next one takes over the indexes of hosts whose routes did not change. */
  table: RouteTable | undefined;
  private routes = new Map<string, Route>();
  /** A backend's serialized form, computed once per Backend object (frozen, so it cannot go stale). */
  private readonly backendText = new WeakMap<Backend, string>();

  /**
   * The table input with every route that equals one of the previous translation (same fields, same
   * Backend object) replaced by that route, and the fingerprint of the whole table: equal fingerprints
   * mean equal tables.
   */
  settle(input: RouteTableInput): { readonly input: RouteTableInput; readonly fingerprint: string } {
    const h = createHash('sha256');
    const byId = new Map<string, Backend>();
    for (const b of input.backends) {
      byId.set(b.id, b);
      h.update(this.textOf(b));
    }
    const previous = this.routes;
    const next = new Map<string, Route>();
    const settle = (r: Route): Route => {
      const key = JSON.stringify({ ...r, backend: r.backend.id });
      h.update(key);
      // A backend that is not the table's own copy (never, for translated tables) is hashed with the route.
      if (byId.get(r.backend.id) !== r.backend) h.update(this.textOf(r.backend));
      if (next.has(key)) return r; // the same route twice: each keeps its own object
      const old = previous.get(key);
      const kept = old !== undefined && old.backend === r.backend ? old : r;
      next.set(key, kept);
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
    return { input: { ...input, routes, defaultRoute }, fingerprint: h.digest('hex').slice(0, 16) };
  }

  /** Ends one translation: certificates and backends it did not use are forgotten. */
  sweep(): void {
    this.certificates.sweep();
    this.backends.sweep();
  }

  private textOf(b: Backend): string {
    let text = this.backendText.get(b);
    if (text === undefined) {
      text = JSON.stringify(b);
      this.backendText.set(b, text);
    }
    return text;
  }
}
