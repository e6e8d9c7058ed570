import { createHash } from 'node:crypto';
import { type SecureContext, createSecureContext } from 'node:tls';
import { normalizeHost, parentDomain, wildcardSuffix } from '../../routing/host.ts';
import type { RouteTable } from '../../routing/route-table.ts';
import type { TlsCertificate } from '../../routing/types.ts';
import { TLS_CONTEXT_OPTIONS } from '../../routing/tls-profile.ts';

export interface PemPair { readonly cert: string; readonly key: string }

/**
 * SNI → SecureContext. Contexts are compiled when a route table is swapped in (never during a
 * handshake), and reused across swaps while the Secret's content is unchanged. Swapping only replaces
 * the maps the next handshake reads: established TLS connections keep the context they negotiated, so
 * a Secret update never drops a connection.
 */
export class CertificateStore {
  private exact = new Map<string, SecureContext>();
  /** Keyed by the wildcard's parent domain: `*.foo.com` → `foo.com`. */
  private wildcard = new Map<string, SecureContext>();
  private fallback: SecureContext;
  private fallbackPem: PemPair;
  private readonly startup: PemPair;
  private readonly startupContext: SecureContext;
  private compiled = new Map<string, SecureContext>();

  constructor(startup: PemPair) {
    this.startup = startup;
    this.startupContext = compile(startup);
    this.fallback = this.startupContext;
    this.fallbackPem = startup;
  }

  /** The default certificate as PEM (the listener's context for clients that send no SNI). */
  get defaultPem(): PemPair {
    return this.fallbackPem;
  }

  /** Prepares and commits at once. */
  update(table: RouteTable): void {
    this.prepare(table)();
  }

  /**
   * Compiles every context `table` needs and builds the lookup maps (the part that can fail: OpenSSL
   * rejects what translation let through only if translation has a gap); the returned step makes them
   * the ones the next handshake reads.
   */
  prepare(table: RouteTable): () => void {
    const compiled = new Map<string, SecureContext>();
    const contextOf = (c: PemPair): SecureContext => {
      const key = createHash('sha256').update(c.cert).update('\0').update(c.key).digest('hex');
      let ctx = compiled.get(key) ?? this.compiled.get(key);
      if (ctx === undefined) ctx = compile(c);
      compiled.set(key, ctx);
      return ctx;
    };
    const exact = new Map<string, SecureContext>();
    const wildcard = new Map<string, SecureContext>();
    // Certificates come in Ingress age order: the oldest Ingress naming a host keeps it.
    for (const cert of table.certificates) {
      const ctx = contextOf(cert);
      for (const host of cert.hosts) {
        const suffix = wildcardSuffix(host);
        const map = suffix === undefined ? exact : wildcard;
        const key = suffix ?? host;
        if (!map.has(key)) map.set(key, ctx);
      }
    }
    const dflt: TlsCertificate | undefined = table.defaultCertificate;
    const fallback = dflt ? contextOf(dflt) : this.startupContext;
    const fallbackPem = dflt ?? this.startup;
    return () => {
      this.fallback = fallback;
      this.fallbackPem = fallbackPem;
      this.exact = exact;
      this.wildcard = wildcard;
      this.compiled = compiled;
    };
  }

  /** Exact TLS host, then a wildcard TLS host, then the default certificate. */
  contextFor(servername: string | undefined): SecureContext {
    const host = normalizeHost(servername);
    if (host === '') return this.fallback;
    const hit = this.exact.get(host);
    if (hit !== undefined) return hit;
    const parent = parentDomain(host);
    return (parent !== undefined ? this.wildcard.get(parent) : undefined) ?? this.fallback;
  }
}

function compile(pem: PemPair): SecureContext {
  return createSecureContext({ ...TLS_CONTEXT_OPTIONS, cert: pem.cert, key: pem.key });
}
