import type { AnnotationEntry, NginxContext } from './registry.ts';

const ignored = (name: string, theme: string, difference: string): AnnotationEntry => ({
  name, theme, verdict: 'unsupported', behaviour: 'Ignored with a warning.', difference,
  parse: (_v: string, c: NginxContext) => c.unsupported(name, difference),
});
const accepted = (name: string, theme: string, difference: string): AnnotationEntry => ({
  name, theme, verdict: 'honoured-with-difference', behaviour: 'Accepted.', difference,
});

function canary(value: string, ctx: NginxContext): void {
  if (value.trim() !== 'true') return;
  ctx.refuse('canary', 'canary Ingresses are not served yet: all traffic stays on the main Ingress of this host and path');
}

export const otherEntries: readonly AnnotationEntry[] = [
  { name: 'canary', theme: 'canary', verdict: 'unsupported', behaviour: 'A canary Ingress is not served (so it never takes over the main Ingress\'s paths); traffic stays on the main Ingress.', difference: 'Traffic splitting between Ingresses is not supported yet.', parse: canary },
  { name: 'canary-by-header', theme: 'canary', verdict: 'unsupported', behaviour: 'Read with canary.' },
  { name: 'canary-by-header-value', theme: 'canary', verdict: 'unsupported', behaviour: 'Read with canary.' },
  { name: 'canary-by-header-pattern', theme: 'canary', verdict: 'unsupported', behaviour: 'Read with canary.' },
  { name: 'canary-by-cookie', theme: 'canary', verdict: 'unsupported', behaviour: 'Read with canary.' },
  { name: 'canary-weight', theme: 'canary', verdict: 'unsupported', behaviour: 'Read with canary.' },
  { name: 'canary-weight-total', theme: 'canary', verdict: 'unsupported', behaviour: 'Read with canary.' },
  ignored('custom-http-errors', 'errors', 'Error pages from another Service are not supported yet; the backend\'s own error responses are relayed.'),
  ignored('default-backend', 'errors', 'A per-Ingress default backend is not supported yet; use spec.defaultBackend.'),
  accepted('disable-proxy-intercept-errors', 'errors', 'RAUTA never intercepts backend errors.'),
  ignored('mirror-target', 'mirror', 'Mirroring to a URL is not supported (the mirror operation takes a Service).'),
  ignored('mirror-request-body', 'mirror', 'Read with mirror-target.'),
  ignored('mirror-host', 'mirror', 'Read with mirror-target.'),
  ignored('ssl-passthrough', 'tls', 'TLS passthrough (layer 4) is not supported; RAUTA terminates TLS.'),
  accepted('ssl-ciphers', 'tls', 'RAUTA\'s listener uses Node.js\'s TLS 1.2/1.3 defaults for every host.'),
  accepted('ssl-prefer-server-ciphers', 'tls', 'Node.js\'s defaults apply.'),
  accepted('http2-push-preload', 'tls', 'HTTP/2 server push is not used (browsers removed it).'),
  ignored('server-alias', 'hosts', 'Extra host names are not added; list them as rules in the Ingress.'),
  ignored('proxy-cookie-domain', 'headers', 'Set-Cookie domains are not rewritten.'),
  ignored('proxy-cookie-path', 'headers', 'Set-Cookie paths are not rewritten.'),
  ignored('proxy-redirect-from', 'headers', 'Location headers are not rewritten.'),
  ignored('proxy-redirect-to', 'headers', 'Read with proxy-redirect-from.'),
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
