import { normalizeHost } from '../../routing/host.ts';
import type { Route } from '../../routing/types.ts';

/**
 * ACME HTTP-01 challenges (cert-manager's solver Ingresses) must stay reachable over plain HTTP while a
 * certificate is being issued, so they are never redirected — the same exemption ingress-nginx makes.
 */
const ACME_CHALLENGE_PREFIX = '/.well-known/acme-challenge/';

/**
 * Where a plain-HTTP request for a TLS host goes instead (308 keeps the method and body, RFC 9110
 * §15.4.9). The Location has no port: in a cluster the HTTPS listener is published on 443.
 */
export function sslRedirectLocation(route: Route, scheme: 'http' | 'https', rawHost: string, url: string): string | undefined {
  if (scheme !== 'http' || !route.tls || !route.policy.sslRedirect) return undefined;
  if (url.startsWith(ACME_CHALLENGE_PREFIX)) return undefined;
  const host = normalizeHost(rawHost);
  if (host === '') return undefined;
  return `https://${host}${url.startsWith('/') ? url : `/${url}`}`;
}

/** Strict-Transport-Security is only meaningful over HTTPS (RFC 6797 §7.2): never sent on plain HTTP. */
export function hstsFor(route: Route, scheme: 'http' | 'https'): string | undefined {
  return scheme === 'https' ? route.policy.hsts : undefined;
}
