import { NGINX_ANNOTATIONS, NGINX_CLASS_DEFAULTS } from './index.ts';
import { VERDICT_TEXT, type Verdict } from './registry.ts';

const THEMES: Record<string, string> = {
  body: 'Request bodies and buffering',
  access: 'Access: address lists and authentication',
  limits: 'Rate and connection limits',
  redirects: 'Redirects',
  rewrite: 'Rewrites and regex paths',
  upstream: 'Talking to the backend',
  cors: 'CORS',
  snippets: 'Snippets',
  headers: 'Headers',
  canary: 'Canary',
  errors: 'Error pages',
  mirror: 'Mirroring',
  tls: 'TLS',
  hosts: 'Hosts',
  observability: 'Logs, traces, metrics',
  waf: 'Web application firewall',
};

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

/**
 * docs/migration-from-ingress-nginx.md, generated from the annotation registry (the same entries the
 * translation and `rauta migrate` use). Regenerate with `node scripts/gen-migration-guide.ts`.
 */
export function migrationGuide(): string {
  const counts: Record<Verdict, number> = { honoured: 0, 'honoured-with-difference': 0, unsupported: 0, refused: 0 };
  for (const e of NGINX_ANNOTATIONS) counts[e.verdict]++;
  const out: string[] = [];
  out.push('<!-- Generated from src/translate/nginx/ by scripts/gen-migration-guide.ts: edit the registry, not this file. -->');
  out.push('# Migrating from ingress-nginx');
  out.push('');
  out.push('RAUTA reads the `nginx.ingress.kubernetes.io/*` annotations of every Ingress it serves and turns each into');
  out.push('typed operations of the route\'s traffic policy (access → request → upstream → response). Every value is');
  out.push('parsed by a strict grammar: nothing from an annotation is spliced into configuration text, a header without');
  out.push('validation, or a regex engine that can backtrack (paths and patterns run on RE2, in linear time).');
  out.push('');
  out.push('## Switching');
  out.push('');
  out.push('1. Run `rauta migrate -f manifests/` (or `rauta migrate --kubeconfig ~/.kube/config`) and read what differs.');
  out.push('   `--output json` gives the same report for scripts. Nothing is changed: the command only reads.');
  out.push('2. Start RAUTA with `RAUTA_WATCH_INGRESS_NGINX=true` (`--watch-ingress-nginx`). It then also serves Ingresses');
  out.push('   of an IngressClass whose controller is `k8s.io/ingress-nginx`, and of class `nginx`, so a cluster switches');
  out.push('   by moving one Deployment. `rauta translate -f manifests/ --watch-ingress-nginx` prints the route table');
  out.push('   those Ingresses produce without starting a proxy.');
  out.push('3. A custom annotation prefix (ingress-nginx\'s `--annotations-prefix`) is `RAUTA_ANNOTATIONS_PREFIX`');
  out.push('   (`--annotations-prefix`).');
  out.push('');
  out.push('## Defaults of the ingress-nginx class');
  out.push('');
  out.push('Ingresses of ingress-nginx\'s class get ingress-nginx\'s defaults where they differ from RAUTA\'s:');
  out.push('');
  out.push(`- request bodies up to ${NGINX_CLASS_DEFAULTS.bodyLimitBytes / 1024 / 1024}m (\`proxy-body-size\`; RAUTA's own class has no limit);`);
  out.push('- connect timeout 5 s, read timeout 60 s, send timeout 60 s (whatever the global RAUTA settings say);');
  out.push('- HTTPS redirects answer 308.');
  out.push('');
  out.push('## Precedence and problems');
  out.push('');
  out.push('- A `rauta.io/` annotation of the same name (for example `rauta.io/proxy-body-size`) wins over the nginx one;');
  out.push('  RAUTA\'s own `rauta.io/ssl-redirect`, `rauta.io/backend-protocol`, `rauta.io/load-balance`, `rauta.io/hash-by`');
  out.push('  and `rauta.io/retries` win over `ssl-redirect`, `backend-protocol`, `load-balance`/`upstream-hash-by` and');
  out.push('  `proxy-next-upstream-tries`.');
  out.push('- Problems are diagnostics in `/routes`, the web UI, Kubernetes Events and `rauta.config` NATS events:');
  out.push('  `InvalidAnnotation` (a bad value: that setting keeps its default; a name under the prefix that is not an');
  out.push('  ingress-nginx annotation is reported as a typo), `UnsupportedAnnotation` (known, not implemented),');
  out.push('  `PolicyFailClosed` (a security annotation that cannot be honoured: the routes answer 503 with');
  out.push('  `RAUTA_ERR_POLICY_UNAVAILABLE` instead of opening), `AnnotationRefused` (the Ingress is not served).');
  out.push('- Snippets are refused (the Ingress is not served) unless they hold only header directives');
  out.push('  (`more_set_headers`, `more_clear_headers`, `more_set_input_headers`, `more_clear_input_headers`,');
  out.push('  `add_header`, `proxy_set_header`, `proxy_hide_header`) with literal values, which become header operations.');
  out.push('- Answers a policy gives carry stable codes: `RAUTA_ERR_FORBIDDEN` (403), `RAUTA_ERR_UNAUTHORIZED` (401),');
  out.push('  `RAUTA_ERR_BODY_TOO_LARGE` (413), `RAUTA_ERR_RATE_LIMITED` (503), `RAUTA_ERR_POLICY_UNAVAILABLE` (503),');
  out.push('  `RAUTA_ERR_AUTH_SERVICE` (500, the forward-auth service failed).');
  out.push('');
  out.push(`## Every annotation (${NGINX_ANNOTATIONS.length}: ${counts.honoured} honoured, ${counts['honoured-with-difference']} honoured with difference, ${counts.unsupported} known but unsupported, ${counts.refused} refused for safety)`);
  const themes = [...new Set(NGINX_ANNOTATIONS.map((e) => e.theme))];
  for (const theme of themes) {
    out.push('');
    out.push(`### ${THEMES[theme] ?? theme}`);
    out.push('');
    out.push('| Annotation | Verdict | RAUTA behaviour | Difference |');
    out.push('|---|---|---|---|');
    for (const e of NGINX_ANNOTATIONS.filter((x) => x.theme === theme)) {
      out.push(`| \`${e.name}\` | ${VERDICT_TEXT[e.verdict]}${e.security ? ' (security: fails closed)' : ''} | ${cell(e.behaviour)} | ${cell(e.difference ?? '')} |`);
    }
  }
  out.push('');
  return out.join('\n');
}
