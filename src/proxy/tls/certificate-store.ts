import { createHash } from 'node:crypto';
import { type SecureContext, createSecureContext } from 'node:tls';
import { normalizeHost, parentDomain, wildcardSuffix } from '../../routing/host.ts';
import type { RouteTable } from '../../routing/route-table.ts';
import type { TlsCertificate } from '../../routing/types.ts';
import { TLS_CONTEXT_OPTIONS } from '../../routing/tls-profile.ts';

export interface PemPair { readonly cert: string; readonly key: string }

/** A host whose routes want client certificates: its context carries the CA, and whether to verify. */
export interface ClientAuthContext {
  readonly context: SecureContext;
  /** False for optional_no_ca: the certificate is asked for but not checked against the CA. */
  readonly verify: boolean;
}

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
  private readonly keys = new WeakMap<object, string>();
  private clientAuthExact = new Map<string, ClientAuthContext>();
  private clientAuthWildcard = new Map<string, ClientAuthContext>();

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
    const contextOf = (c: PemPair & { readonly ca?: string; readonly crl?: string }): SecureContext => {
      // Tables share unchanged certificate objects with the table before: each is hashed once.
      let key = this.keys.get(c);
      if (key === undefined) {
        key = createHash('sha256').update(c.cert).update('\0').update(c.key).update('\0').update(c.ca ?? '').update('\0').update(c.crl ?? '').digest('hex');
        this.keys.set(c, key);
      }
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
    // Hosts whose routes ask for client certificates (auth-tls-*): the certificate the host is served
    // with, plus the CA bundle its clients' certificates must chain to. One op per host (translation).
    const pemOf = new Map<string, PemPair>();
    for (const cert of table.certificates) for (const host of cert.hosts) if (!pemOf.has(host)) pemOf.set(host, cert);
    const clientAuthExact = new Map<string, ClientAuthContext>();
    const clientAuthWildcard = new Map<string, ClientAuthContext>();
    for (const route of table.routes) {
      const op = route.policy.traffic?.access.find((a) => a.kind === 'client-cert');
      if (op === undefined || op.kind !== 'client-cert' || route.host === '') continue;
      const suffix = wildcardSuffix(route.host);
      const map = suffix === undefined ? clientAuthExact : clientAuthWildcard;
      const key = suffix ?? route.host;
      if (map.has(key)) continue;
      const parent = suffix === undefined ? parentDomain(route.host) : undefined;
      const pem = pemOf.get(route.host) ?? (parent !== undefined ? pemOf.get(`*.${parent}`) : undefined) ?? fallbackPem;
      map.set(key, { context: contextOf({ cert: pem.cert, key: pem.key, ca: op.caPem, crl: op.crlPem }), verify: op.mode !== 'optional_no_ca' });
    }
    return () => {
      this.fallback = fallback;
      this.fallbackPem = fallbackPem;
      this.exact = exact;
      this.wildcard = wildcard;
      this.compiled = compiled;
      this.clientAuthExact = clientAuthExact;
      this.clientAuthWildcard = clientAuthWildcard;
    };
  }

  /** The context for a host whose routes want client certificates (exact, then wildcard), if any. */
  clientAuthFor(servername: string | undefined): ClientAuthContext | undefined {
    const host = normalizeHost(servername);
    if (host === '') return undefined;
    const hit = this.clientAuthExact.get(host);
    if (hit !== undefined) return hit;
    const parent = parentDomain(host);
    return parent !== undefined ? this.clientAuthWildcard.get(parent) : undefined;
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

function compile(pem: PemPair & { readonly ca?: string; readonly crl?: string }): SecureContext {
  return createSecureContext({
    ...TLS_CONTEXT_OPTIONS, cert: pem.cert, key: pem.key, ...(pem.ca === undefined ? {} : { ca: pem.ca }), ...(pem.crl === undefined ? {} : { crl: pem.crl }),
  });
}
