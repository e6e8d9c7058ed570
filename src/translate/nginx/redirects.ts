import { type AnnotationEntry, type NginxContext, parseBool, parseIntIn } from './registry.ts';
import { parseUrlTemplate } from './template.ts';

function sslRedirect(value: string, ctx: NginxContext): void {
  const b = parseBool(value);
  if (b === undefined) return ctx.invalid('ssl-redirect', `"${value}" is not true or false; using true`);
  ctx.base.sslRedirect = b;
}

function forceSslRedirect(value: string, ctx: NginxContext): void {
  const b = parseBool(value);
  if (b === undefined) return ctx.invalid('force-ssl-redirect', `"${value}" is not true or false; ignored`);
  // X-Forwarded-Proto is trusted for this decision only: a client that forges it merely skips its own
  // redirect, and behind a TLS-terminating load balancer it is the only way to avoid a redirect loop.
  if (b) ctx.op({ kind: 'https-redirect', status: 308, force: true, trustForwardedProto: true });
}

const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);

function redirect(name: 'permanent-redirect' | 'temporal-redirect', defaultCode: 301 | 302) {
  return (value: string, ctx: NginxContext) => {
    if (name === 'temporal-redirect' && ctx.value('permanent-redirect') !== undefined) return; // nginx: permanent wins
    const t = parseUrlTemplate(value);
    if (!t.ok) return ctx.invalid(name, `${t.message}; no redirect`);
    const codeName = `${name}-code`;
    const raw = ctx.value(codeName);
    let status: number = defaultCode;
    if (raw !== undefined) {
      const c = parseIntIn(raw, 300, 308);
      if (c === undefined || !REDIRECT_CODES.has(c)) ctx.invalid(codeName, `"${raw}" is not one of 301, 302, 303, 307, 308; using ${defaultCode}`);
      else status = c;
    }
    ctx.op({ kind: 'redirect', status: status as 301 | 302 | 303 | 307 | 308, location: t.template, keepQuery: false });
  };
}

function appRoot(value: string, ctx: NginxContext): void {
  const v = value.trim();
  if (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]{0,1024}$/.test(v) || v.includes('$')) {
    return ctx.invalid('app-root', `"${v.slice(0, 64)}" is not an absolute path; no redirect`);
  }
  // ingress-nginx: `if ($uri = /) { return 302 $scheme://$http_host<app-root>; }`
  ctx.op({ kind: 'redirect', status: 302, onlyPath: '/', location: [{ var: 'scheme' }, { lit: '://' }, { var: 'best_http_host' }, { lit: v }], keepQuery: false });
}

export const redirectEntries: readonly AnnotationEntry[] = [
  { name: 'ssl-redirect', theme: 'redirects', verdict: 'honoured', behaviour: 'Plain-HTTP requests for hosts with TLS get 308 to https (default true; ACME HTTP-01 challenges are exempt).', parse: sslRedirect },
  { name: 'force-ssl-redirect', theme: 'redirects', verdict: 'honoured', behaviour: 'Redirects plain HTTP to https (308) even without TLS in the Ingress; a request with X-Forwarded-Proto: https (TLS ended at a load balancer) is not redirected. Runs before any access check.', parse: forceSslRedirect },
  { name: 'preserve-trailing-slash', theme: 'redirects', verdict: 'honoured', behaviour: 'RAUTA\'s HTTPS redirects always keep the request URI exactly, trailing slash included.' },
  { name: 'permanent-redirect', theme: 'redirects', verdict: 'honoured', behaviour: 'Every request gets a redirect (301 unless permanent-redirect-code) to this URL; $request_uri and the other allowed variables are expanded. The backend may be absent.', parse: redirect('permanent-redirect', 301) },
  { name: 'permanent-redirect-code', theme: 'redirects', verdict: 'honoured', behaviour: 'Status of permanent-redirect (301, 302, 303, 307 or 308).' },
  { name: 'temporal-redirect', theme: 'redirects', verdict: 'honoured', behaviour: 'Every request gets a 302 (or temporal-redirect-code) to this URL.', parse: redirect('temporal-redirect', 302) },
  { name: 'temporal-redirect-code', theme: 'redirects', verdict: 'honoured', behaviour: 'Status of temporal-redirect.' },
  { name: 'from-to-www-redirect', theme: 'redirects', verdict: 'honoured', behaviour: 'Requests for www.<host> are redirected (308) to <host> and the other way round, unless another rule serves that host.', parse: (v, c) => { const b = parseBool(v); if (b === undefined) c.invalid('from-to-www-redirect', `"${v}" is not true or false; ignored`); else c.wwwRedirect = b; } },
  { name: 'app-root', theme: 'redirects', verdict: 'honoured', behaviour: 'A request for / gets 302 to this path.', parse: appRoot },
];
