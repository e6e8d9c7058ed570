import { compileRegex } from '../../proxy/policy/compile.ts';
import { type AnnotationEntry, HEADER_NAME, HEADER_VALUE, type NginxContext, parseIntIn } from './registry.ts';

const ignored = (name: string, theme: string, difference: string): AnnotationEntry => ({
  name, theme, verdict: 'unsupported', behaviour: 'Ignored with a warning.', difference,
  parse: (_v: string, c: NginxContext) => c.unsupported(name, difference),
});
const accepted = (name: string, theme: string, difference: string): AnnotationEntry => ({
  name, theme, verdict: 'honoured-with-difference', behaviour: 'Accepted.', difference,
});

const LITERAL_WORD = /^[\x21-\x7e]{1,1024}$/;

function pair(ctx: NginxContext, name: string): { from: string; to: string } | undefined {
  const raw = ctx.value(name);
  if (raw === undefined || raw.trim() === 'off') return undefined;
  const words = raw.trim().split(/\s+/);
  if (words.length !== 2 || !words.every((w) => LITERAL_WORD.test(w) && !w.includes('$') && !w.includes(';'))) {
    ctx.invalid(name, 'must be `off` or two literal words `from to` (no variables); ignored');
    return undefined;
  }
  return { from: words[0], to: words[1] };
}

function backendHeaders(_v: string, ctx: NginxContext): void {
  let location: { from: string; to: string } | undefined;
  const from = ctx.value('proxy-redirect-from');
  const to = ctx.value('proxy-redirect-to');
  if (from !== undefined && from.trim() !== 'off' && from.trim() !== 'default') {
    const ok = (w: string | undefined) => w !== undefined && LITERAL_WORD.test(w.trim()) && !w.includes('$');
    if (!ok(from) || !ok(to)) ctx.invalid('proxy-redirect-from', 'proxy-redirect-from and proxy-redirect-to must both be literal text without spaces or variables; Location is not rewritten');
    else location = { from: from.trim(), to: (to as string).trim() };
  }
  const cookieDomain = pair(ctx, 'proxy-cookie-domain');
  const cookiePath = pair(ctx, 'proxy-cookie-path');
  if (location !== undefined || cookieDomain !== undefined || cookiePath !== undefined) ctx.op({ kind: 'backend-header-rewrite', location, cookieDomain, cookiePath });
}

function serverAlias(value: string, ctx: NginxContext): void {
  for (const h of value.split(',').map((x) => x.trim().toLowerCase()).filter((x) => x !== '')) {
    if (h.length <= 253 && /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(h) && ctx.aliases.length < 100) ctx.aliases.push(h);
    else ctx.invalid('server-alias', `"${h.slice(0, 64)}" is not a DNS name; skipped`);
  }
}

function errorPages(_v: string, ctx: NginxContext): void {
  const codesRaw = ctx.value('custom-http-errors');
  const svc = ctx.value('default-backend');
  const statuses: number[] = [];
  if (codesRaw !== undefined) {
    for (const c of codesRaw.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
      const n = parseIntIn(c, 400, 599);
      if (n === undefined) ctx.invalid('custom-http-errors', `"${c.slice(0, 16)}" is not a status 400..599; skipped`);
      else if (!statuses.includes(n)) statuses.push(n);
    }
  }
  if (svc === undefined) {
    if (codesRaw !== undefined) ctx.unsupported('custom-http-errors', 'needs default-backend on the same Ingress (RAUTA has no global default backend); the backend\'s own error responses are relayed');
    return;
  }
  if (svc.trim().length > 63 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(svc.trim())) return ctx.invalid('default-backend', `"${svc.slice(0, 64)}" is not a Service name; ignored`);
  const r = ctx.service(svc.trim());
  if ('error' in r) return ctx.invalid('default-backend', `${r.error}; ignored`);
  // proxy_intercept_errors off: the backend's errors reach the client; default-backend still stands in
  // for a Service without endpoints.
  const noIntercept = ctx.value('disable-proxy-intercept-errors')?.trim() === 'true';
  if (noIntercept && statuses.length > 0) ctx.note('disable-proxy-intercept-errors', 'custom-http-errors is not applied: the backend\'s error responses are relayed');
  ctx.op({ kind: 'error-pages', statuses: noIntercept ? [] : statuses, onNoEndpoints: true, backendId: r.id });
}

function canary(value: string, ctx: NginxContext): void {
  if (value.trim() !== 'true') return;
  const totalRaw = ctx.value('canary-weight-total');
  let total = 100;
  if (totalRaw !== undefined) {
    const t = parseIntIn(totalRaw, 1, 1_000_000);
    if (t === undefined) ctx.invalid('canary-weight-total', `"${totalRaw}" is not a whole number 1..1000000; using 100`);
    else total = t;
  }
  let weight = 0;
  const weightRaw = ctx.value('canary-weight');
  if (weightRaw !== undefined) {
    const w = parseIntIn(weightRaw, 0, total);
    if (w === undefined) ctx.invalid('canary-weight', `"${weightRaw}" is not a whole number 0..${total}; no traffic by weight`);
    else weight = w;
  }
  let header: { name: string; value?: string; pattern?: string } | undefined;
  const h = ctx.value('canary-by-header');
  if (h !== undefined) {
    if (!HEADER_NAME.test(h.trim())) ctx.invalid('canary-by-header', `"${h.slice(0, 64)}" is not a header name; ignored`);
    else {
      header = { name: h.trim().toLowerCase() };
      const v = ctx.value('canary-by-header-value');
      const p = ctx.value('canary-by-header-pattern');
      if (v !== undefined) {
        if (HEADER_VALUE.test(v) && v !== '') header.value = v;
        else ctx.invalid('canary-by-header-value', 'must be printable text without CR or LF; ignored');
      } else if (p !== undefined) {
        try {
          compileRegex(p, false);
          header.pattern = p;
        } catch (err) {
          ctx.invalid('canary-by-header-pattern', `not a regular expression RAUTA can run in linear time (RE2): ${(err as Error).message}; ignored`);
        }
      }
    }
  }
  let cookie: string | undefined;
  const c = ctx.value('canary-by-cookie');
  if (c !== undefined) {
    if (/^[A-Za-z0-9_.-]{1,64}$/.test(c.trim())) cookie = c.trim();
    else ctx.invalid('canary-by-cookie', `"${c.slice(0, 64)}" is not a plain cookie name; ignored`);
  }
  ctx.canary = { header, cookie, weight, total };
}

export const otherEntries: readonly AnnotationEntry[] = [
  { name: 'canary', theme: 'canary', verdict: 'honoured-with-difference', behaviour: 'The Ingress is a canary of the Ingress serving the same host and path: its rules send some requests to its backend; the main Ingress\'s policy applies to both.', difference: 'A canary without a main Ingress for a path serves nothing there (warning). The canary\'s own annotations other than canary-* are ignored, as ingress-nginx does.', parse: canary },
  { name: 'canary-by-header', theme: 'canary', verdict: 'honoured', behaviour: 'Header value `always` sends the request to the canary, `never` to the main backend; first in precedence.' },
  { name: 'canary-by-header-value', theme: 'canary', verdict: 'honoured', behaviour: 'This header value (instead of always) sends the request to the canary.' },
  { name: 'canary-by-header-pattern', theme: 'canary', verdict: 'honoured-with-difference', behaviour: 'Header values matching this regular expression send the request to the canary.', difference: 'RE2 syntax, whole-value match (PCRE look-around and back-references are refused).' },
  { name: 'canary-by-cookie', theme: 'canary', verdict: 'honoured', behaviour: 'Cookie value `always` sends the request to the canary, `never` to the main backend.' },
  { name: 'canary-weight', theme: 'canary', verdict: 'honoured', behaviour: 'Share of the remaining requests (out of canary-weight-total) sent to the canary.' },
  { name: 'canary-weight-total', theme: 'canary', verdict: 'honoured', behaviour: 'Total weight canary-weight is out of (default 100).' },
  { name: 'custom-http-errors', theme: 'errors', verdict: 'honoured-with-difference', behaviour: 'Backend answers with these statuses are replaced by the page of the default-backend Service (GET of the original URI with X-Code, X-Format, X-Original-URI, X-Namespace, X-Ingress-Name, X-Service-Name, X-Service-Port, X-Request-ID), with the original status.', difference: 'Needs default-backend on the same Ingress: RAUTA has no global default backend. Pages over 1 MiB are cut.', parse: errorPages },
  { name: 'default-backend', theme: 'errors', verdict: 'honoured', behaviour: 'A Service of the Ingress\'s namespace (first port) that answers when the route\'s Service has no ready endpoints (503), and renders custom-http-errors.', parse: errorPages },
  { name: 'disable-proxy-intercept-errors', theme: 'errors', verdict: 'honoured', behaviour: '`true`: custom-http-errors is not applied to this Ingress (the backend\'s error responses are relayed); default-backend still serves paths whose Service has no endpoints.' },
  ignored('ssl-passthrough', 'tls', 'TLS passthrough (layer 4) is not supported; RAUTA terminates TLS.'),
  accepted('ssl-ciphers', 'tls', 'RAUTA\'s listener uses Node.js\'s TLS 1.2/1.3 defaults for every host.'),
  accepted('ssl-prefer-server-ciphers', 'tls', 'Node.js\'s defaults apply.'),
  accepted('http2-push-preload', 'tls', 'HTTP/2 server push is not used (browsers removed it).'),
  { name: 'server-alias', theme: 'hosts', verdict: 'honoured', behaviour: 'Each listed host name also serves this Ingress\'s rules (same paths, backends and policy), unless a rule of any Ingress names that host.', parse: serverAlias },
  { name: 'proxy-cookie-domain', theme: 'headers', verdict: 'honoured-with-difference', behaviour: '`from to`: a Set-Cookie Domain equal to `from` (case-insensitive) becomes `to`.', difference: 'Literal values only (no regular expressions, no variables).', parse: backendHeaders },
  { name: 'proxy-cookie-path', theme: 'headers', verdict: 'honoured-with-difference', behaviour: '`from to`: a Set-Cookie Path starting with `from` gets `to` instead of that start.', difference: 'Literal values only (no regular expressions, no variables).', parse: backendHeaders },
  { name: 'proxy-redirect-from', theme: 'headers', verdict: 'honoured-with-difference', behaviour: 'Location and Refresh headers of backend answers starting with this text get proxy-redirect-to instead of it (off/default: unchanged).', difference: 'Literal values only; `default` leaves headers unchanged.', parse: backendHeaders },
  { name: 'proxy-redirect-to', theme: 'headers', verdict: 'honoured', behaviour: 'Read with proxy-redirect-from.', parse: backendHeaders },
  accepted('enable-access-log', 'observability', 'RAUTA\'s access log (RAUTA_ACCESS_LOG) and request events cover every route; it is not switched per Ingress.'),
  accepted('enable-opentracing', 'observability', 'RAUTA\'s OTLP tracing is configured globally.'),
  accepted('opentracing-trust-incoming-span', 'observability', 'Incoming trace context is always continued.'),
  accepted('enable-opentelemetry', 'observability', 'RAUTA\'s OTLP tracing is configured globally.'),
  accepted('opentelemetry-trust-incoming-span', 'observability', 'Incoming trace context is always continued.'),
  accepted('opentelemetry-operation-name', 'observability', 'Span names are RAUTA\'s.'),
  ignored('enable-influxdb', 'observability', 'InfluxDB export is not supported; use the Prometheus metrics or NATS events.'),
  ignored('influxdb-measurement', 'observability', 'Read with enable-influxdb.'),
  ignored('influxdb-port', 'observability', 'Read with enable-influxdb.'),
  ignored('influxdb-host', 'observability', 'Read with enable-influxdb.'),
  ignored('influxdb-server-name', 'observability', 'Read with enable-influxdb.'),
  ignored('enable-modsecurity', 'waf', 'ModSecurity is not supported (ingress-nginx runs it in detection-only mode by default).'),
  ignored('enable-owasp-core-rules', 'waf', 'ModSecurity is not supported.'),
  ignored('modsecurity-transaction-id', 'waf', 'ModSecurity is not supported.'),
];
