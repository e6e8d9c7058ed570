import type { CorsOp } from '../../routing/policy.ts';
import type { PolicyAnswer, PolicyContext } from './context.ts';

/**
 * CORS as ingress-nginx answers it: a request whose Origin is allowed gets the Access-Control-* headers
 * on its response; a preflight (OPTIONS with Access-Control-Request-Method) is answered 204 by RAUTA and
 * never reaches the backend. The allowed origin is echoed (never `*` with credentials, which browsers
 * refuse). Origins that do not match get no CORS headers: the browser then blocks the response.
 */
export function corsRequest(op: CorsOp, ctx: PolicyContext): PolicyAnswer | undefined {
  const origin = ctx.req.headers.origin;
  if (typeof origin !== 'string' || !originAllowed(op.allowOrigins, origin)) return undefined;
  const wildcard = op.allowOrigins.includes('*') && !op.allowCredentials;
  const common: Record<string, string> = { 'access-control-allow-origin': wildcard ? '*' : origin };
  if (!wildcard) common.vary = 'Origin';
  if (op.allowCredentials) common['access-control-allow-credentials'] = 'true';
  const preflight = ctx.req.method === 'OPTIONS' && ctx.req.headers['access-control-request-method'] !== undefined;
  if (preflight) {
    return {
      kind: 'respond',
      status: 204,
      headers: {
        ...common,
        'access-control-allow-methods': op.allowMethods.join(', '),
        'access-control-allow-headers': op.allowHeaders.join(', '),
        'access-control-max-age': String(op.maxAgeSeconds),
        'content-type': 'text/plain; charset=utf-8',
        'content-length': '0',
      },
    };
  }
  for (const [name, value] of Object.entries(common)) ctx.setResponse.push({ name, value });
  if (op.exposeHeaders.length > 0) ctx.setResponse.push({ name: 'access-control-expose-headers', value: op.exposeHeaders.join(', ') });
  return undefined;
}

/** `*`, an exact origin, or `scheme://*.domain[:port]` (one label, as ingress-nginx allows). */
export function originAllowed(allowed: readonly string[], origin: string): boolean {
  const o = origin.toLowerCase();
  for (const a of allowed) {
    if (a === '*' || a === o) return true;
    const star = a.indexOf('://*.');
    if (star !== -1) {
      const scheme = a.slice(0, star + 3);
      const suffix = a.slice(star + 4); // `.domain[:port]`
      if (o.startsWith(scheme) && o.endsWith(suffix)) {
        const label = o.slice(scheme.length, o.length - suffix.length);
        if (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(label)) return true;
      }
    }
  }
  return false;
}
