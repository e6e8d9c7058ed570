import type { HashBy } from '../../routing/types.ts';
import { type AnnotationEntry, type NginxContext, parseBool, parseIntIn, parseSeconds } from './registry.ts';

function backendProtocol(value: string, ctx: NginxContext): void {
  const v = value.trim().toUpperCase();
  if (v === 'HTTP' || v === 'AUTO_HTTP') return;
  if (v === 'GRPC') { ctx.base.protocol = 'grpc'; return; }
  if (v === 'HTTPS') return upstreamTls(ctx);
  if (v === 'GRPCS') {
    ctx.base.protocol = 'grpc';
    return upstreamTls(ctx);
  }
  if (v === 'FCGI' || v === 'AJP') return ctx.failClosed('backend-protocol', `${v} is not supported; the route answers 503`);
  ctx.invalid('backend-protocol', `"${value}" is not HTTP, HTTPS, GRPC, GRPCS, AUTO_HTTP, FCGI or AJP; using HTTP`);
}

function pemBlocks(text: string, label: string): string | undefined {
  const re = new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----`, 'g');
  const blocks = text.match(re);
  return blocks === null ? undefined : `${blocks.join('\n')}\n`;
}

function upstreamTls(ctx: NginxContext): void {
  const onOff = (name: string, dflt: boolean) => {
    const raw = ctx.value(name);
    if (raw === undefined) return dflt;
    const t = raw.trim().toLowerCase();
    if (t === 'on' || t === 'true') return true;
    if (t === 'off' || t === 'false') return false;
    ctx.invalid(name, `"${raw}" is not on or off; using ${dflt ? 'on' : 'off'}`);
    return dflt;
  };
  const verify = onOff('proxy-ssl-verify', false);
  const sni = onOff('proxy-ssl-server-name', false);
  let serverName: string | undefined;
  const nameRaw = ctx.value('proxy-ssl-name');
  if (nameRaw !== undefined) {
    if (nameRaw.trim().length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i.test(nameRaw.trim())) serverName = nameRaw.trim().toLowerCase();
    else ctx.invalid('proxy-ssl-name', `"${nameRaw.slice(0, 64)}" is not a DNS name; ignored`);
  }
  let caPem: string | undefined;
  let certPem: string | undefined;
  let keyPem: string | undefined;
  let secretRef: string | undefined;
  const ref = ctx.value('proxy-ssl-secret');
  if (ref !== undefined) {
    const secret = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?\/)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(ref.trim()) ? ctx.secret(ref.trim()) : undefined;
    if (secret === undefined) {
      if (verify) return ctx.failClosed('proxy-ssl-secret', `Secret ${ref} not found; the pod's certificate cannot be verified, so the route is closed`);
      ctx.invalid('proxy-ssl-secret', `Secret ${ref} not found; connecting without a client certificate`);
    } else {
      secretRef = ref.trim();
      const text = (k: string) => (secret.data?.[k] === undefined ? undefined : Buffer.from(secret.data[k], 'base64').toString('utf8'));
      caPem = pemBlocks(text('ca.crt') ?? '', 'CERTIFICATE');
      certPem = pemBlocks(text('tls.crt') ?? '', 'CERTIFICATE');
      const keyText = text('tls.key') ?? '';
      keyPem = pemBlocks(keyText, 'PRIVATE KEY') ?? pemBlocks(keyText, 'RSA PRIVATE KEY') ?? pemBlocks(keyText, 'EC PRIVATE KEY');
      if ((certPem === undefined) !== (keyPem === undefined)) {
        ctx.invalid('proxy-ssl-secret', `Secret ${ref} has only one of tls.crt and tls.key; no client certificate`);
        certPem = undefined;
        keyPem = undefined;
      }
    }
  }
  if (verify && caPem === undefined) return ctx.failClosed('proxy-ssl-verify', 'proxy-ssl-verify is on but no ca.crt was found in proxy-ssl-secret; the route is closed');
  ctx.op({ kind: 'upstream-tls', verify, caPem, certPem, keyPem, serverName, sni, secret: secretRef });
}

function timeouts(_v: string, ctx: NginxContext): void {
  const read = (name: string) => {
    const raw = ctx.value(name);
    if (raw === undefined) return undefined;
    const s = parseSeconds(raw);
    if (s === undefined) ctx.invalid(name, `"${raw}" is not a whole number of seconds 1..86400; using the default`);
    return s === undefined ? undefined : s * 1000;
  };
  const connectMs = read('proxy-connect-timeout');
  const readMs = read('proxy-read-timeout');
  const sendMs = read('proxy-send-timeout');
  if (connectMs !== undefined || readMs !== undefined || sendMs !== undefined) ctx.op({ kind: 'timeouts', connectMs, readMs, sendMs });
}

const NEXT_UPSTREAM = new Set(['error', 'timeout', 'invalid_header', 'http_500', 'http_502', 'http_503', 'http_504', 'http_403', 'http_404', 'http_429', 'non_idempotent', 'off']);

function nextUpstream(_v: string, ctx: NginxContext): void {
  const mode = ctx.value('proxy-next-upstream');
  const triesRaw = ctx.value('proxy-next-upstream-tries');
  const timeoutRaw = ctx.value('proxy-next-upstream-timeout');
  let off = false;
  if (mode !== undefined) {
    const words = mode.trim().split(/\s+/);
    const bad = words.find((w) => !NEXT_UPSTREAM.has(w));
    if (bad !== undefined) ctx.invalid('proxy-next-upstream', `"${bad}" is not a proxy_next_upstream condition; using RAUTA's retry rules`);
    off = words.includes('off');
    if (!off && words.some((w) => w.startsWith('http_') || w === 'non_idempotent')) {
      ctx.note('proxy-next-upstream', 'RAUTA retries only when the backend cannot have acted on the request (connect failures, resets of idempotent requests before any response); status-based retries are not done');
    }
  }
  let attempts: number | undefined = off ? 1 : undefined;
  if (!off && triesRaw !== undefined) {
    const t = parseIntIn(triesRaw, 0, 11);
    if (t === undefined) ctx.invalid('proxy-next-upstream-tries', `"${triesRaw}" is not a whole number 0..11; using the default`);
    // nginx: 0 means unlimited; RAUTA caps attempts at 11 (the rauta.io/retries maximum + 1).
    else attempts = t === 0 ? 11 : t;
  }
  let budgetMs = 0;
  if (timeoutRaw !== undefined) {
    const s = /^\s*0\s*$/.test(timeoutRaw) ? 0 : parseSeconds(timeoutRaw);
    if (s === undefined) ctx.invalid('proxy-next-upstream-timeout', `"${timeoutRaw}" is not a whole number of seconds; using the global retry budget`);
    else budgetMs = s * 1000;
  }
  if (attempts !== undefined || budgetMs > 0) ctx.op({ kind: 'retry', attempts: attempts ?? 3, onStatus: [], budgetMs });
}

function upstreamVhost(value: string, ctx: NginxContext): void {
  const v = value.trim();
  if (v.length > 259 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(:\d{1,5})?$/i.test(v)) {
    return ctx.invalid('upstream-vhost', `"${v.slice(0, 64)}" is not a host name (nginx variables are not supported); Host is forwarded unchanged`);
  }
  ctx.op({ kind: 'rewrite', hostname: v.toLowerCase() });
}

function loadBalance(value: string, ctx: NginxContext): void {
  const v = value.trim();
  if (v === 'round_robin') ctx.base.loadBalance = 'round-robin';
  else if (v === 'ewma') { ctx.base.loadBalance = 'least-request'; ctx.note('load-balance', 'ewma is served as least-request'); }
  else ctx.invalid('load-balance', `"${v}" is not round_robin or ewma; using round-robin`);
}

function hashBy(value: string, ctx: NginxContext): void {
  const v = value.trim();
  let h: HashBy | undefined;
  if (v === '$remote_addr' || v === '$binary_remote_addr') h = { kind: 'client-ip' };
  else if (v === '$request_uri' || v === '$uri') h = { kind: 'path' };
  else {
    const m = /^\$(http|cookie)_([a-z0-9_]{1,64})$/i.exec(v);
    if (m) h = m[1].toLowerCase() === 'http' ? { kind: 'header', name: m[2].toLowerCase().replaceAll('_', '-') } : { kind: 'cookie', name: m[2] };
  }
  if (h === undefined) return ctx.unsupported('upstream-hash-by', `"${v.slice(0, 64)}" is not one of $remote_addr, $request_uri, $uri, $http_<name>, $cookie_<name>; using round-robin`);
  ctx.base.loadBalance = 'maglev';
  ctx.base.hashBy = h;
  if (v === '$request_uri') ctx.note('upstream-hash-by', '$request_uri hashes by path (the query string is not part of the key)');
}

function affinity(value: string, ctx: NginxContext): void {
  if (value.trim() !== 'cookie') return ctx.invalid('affinity', `"${value}" is not cookie; no affinity`);
  const name = ctx.value('session-cookie-name') ?? 'INGRESSCOOKIE';
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/.test(name)) return ctx.invalid('session-cookie-name', `"${name.slice(0, 64)}" is not a cookie name; no affinity`);
  const pathRaw = ctx.value('session-cookie-path') ?? '/';
  const path = /^\/[\x21-\x3a\x3c-\x7e]{0,256}$/.test(pathRaw) ? pathRaw : '/';
  if (path !== pathRaw) ctx.invalid('session-cookie-path', 'must be a path without ; or spaces; using /');
  const maxRaw = ctx.value('session-cookie-max-age') ?? ctx.value('session-cookie-expires');
  const maxAge = maxRaw === undefined ? undefined : parseIntIn(maxRaw, 0, 400 * 86_400);
  if (maxRaw !== undefined && maxAge === undefined) ctx.invalid('session-cookie-max-age', `"${maxRaw}" is not a number of seconds; a session cookie is used`);
  const secure = parseBool(ctx.value('session-cookie-secure') ?? 'false') ?? false;
  const ssRaw = ctx.value('session-cookie-samesite');
  const sameSite = ssRaw === 'None' || ssRaw === 'Lax' || ssRaw === 'Strict' ? ssRaw : undefined;
  if (ssRaw !== undefined && sameSite === undefined) ctx.invalid('session-cookie-samesite', `"${ssRaw}" is not None, Lax or Strict; not set`);
  const domainRaw = ctx.value('session-cookie-domain');
  const domain = domainRaw !== undefined && domainRaw.length <= 253 && /^\.?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i.test(domainRaw) ? domainRaw : undefined;
  if (domainRaw !== undefined && domain === undefined) ctx.invalid('session-cookie-domain', `"${domainRaw.slice(0, 64)}" is not a domain; not set`);
  ctx.op({ kind: 'affinity-cookie', name, path, maxAgeSeconds: maxAge, secure: secure || sameSite === 'None', sameSite, domain });
}

const accepted = (difference: string) => ({ verdict: 'honoured-with-difference' as const, behaviour: 'Accepted.', difference });

export const upstreamEntries: readonly AnnotationEntry[] = [
  { name: 'backend-protocol', theme: 'upstream', verdict: 'honoured-with-difference', behaviour: 'HTTP and AUTO_HTTP: HTTP/1.1; HTTPS: HTTP/1.1 over TLS to the pod (see proxy-ssl-*); GRPC: HTTP/2 cleartext; GRPCS: HTTP/2 over TLS.', difference: 'FCGI and AJP are not supported: such routes answer 503 rather than speaking the wrong protocol.', parse: backendProtocol },
  { name: 'proxy-ssl-secret', theme: 'upstream', security: true, verdict: 'honoured', behaviour: 'Secret (namespace/name) with ca.crt to verify the pod and tls.crt/tls.key as client certificate, for backend-protocol HTTPS.' },
  { name: 'proxy-ssl-verify', theme: 'upstream', security: true, verdict: 'honoured', behaviour: 'on: the pod\'s certificate must chain to ca.crt and match proxy-ssl-name (default off, as ingress-nginx). on without a CA closes the route.' },
  { name: 'proxy-ssl-name', theme: 'upstream', verdict: 'honoured', behaviour: 'Name checked in the pod\'s certificate (and sent as SNI with proxy-ssl-server-name).' },
  { name: 'proxy-ssl-server-name', theme: 'upstream', verdict: 'honoured', behaviour: 'on: send proxy-ssl-name as SNI.' },
  { name: 'proxy-ssl-verify-depth', theme: 'upstream', ...accepted('Node.js verifies the whole chain; the depth is not limited.') },
  { name: 'proxy-ssl-ciphers', theme: 'upstream', ...accepted('Node.js\'s default cipher list is used.') },
  { name: 'proxy-ssl-protocols', theme: 'upstream', ...accepted('TLS 1.2 and 1.3 (Node.js defaults) are used.') },
  { name: 'proxy-connect-timeout', theme: 'upstream', verdict: 'honoured', behaviour: 'Seconds to connect to a pod (ingress-nginx class default 5).', parse: timeouts },
  { name: 'proxy-read-timeout', theme: 'upstream', verdict: 'honoured', behaviour: 'Seconds the backend may stay silent: before the response head and between two reads (default 60).', parse: timeouts },
  { name: 'proxy-send-timeout', theme: 'upstream', verdict: 'honoured-with-difference', behaviour: 'Accepted.', difference: 'Writes to the backend are bounded by the client body timeout and proxy-read-timeout, not by a separate send timeout.', parse: timeouts },
  { name: 'proxy-next-upstream', theme: 'upstream', verdict: 'honoured-with-difference', behaviour: '`off` disables retries; otherwise RAUTA\'s retry rules apply.', difference: 'Retries happen only when the backend cannot have acted on the request (connect failure, reset before any response of an idempotent request); http_5xx conditions are not retried.', parse: nextUpstream },
  { name: 'proxy-next-upstream-tries', theme: 'upstream', verdict: 'honoured', behaviour: 'Attempts in total, the first included (0 = up to 11).', parse: nextUpstream },
  { name: 'proxy-next-upstream-timeout', theme: 'upstream', verdict: 'honoured', behaviour: 'No retry starts after this many seconds (0 = the global retry budget).', parse: nextUpstream },
  { name: 'upstream-vhost', theme: 'upstream', verdict: 'honoured-with-difference', behaviour: 'The Host header the backend gets.', difference: 'A literal host name only; nginx variables are refused.', parse: upstreamVhost },
  { name: 'load-balance', theme: 'upstream', verdict: 'honoured-with-difference', behaviour: 'round_robin: round-robin; ewma: least-request.', difference: 'ewma is approximated by least-request.', parse: loadBalance },
  { name: 'upstream-hash-by', theme: 'upstream', verdict: 'honoured-with-difference', behaviour: 'Consistent hashing (Maglev) by $remote_addr, $request_uri/$uri (path), $http_<name> or $cookie_<name>.', difference: 'Other variables and combinations are not supported (warning, round-robin).', parse: hashBy },
  { name: 'upstream-hash-by-subset', theme: 'upstream', verdict: 'unsupported', behaviour: 'Ignored with a warning (plain consistent hashing is used).', parse: (_v, c) => c.unsupported('upstream-hash-by-subset', 'subset hashing is not supported; plain consistent hashing is used') },
  { name: 'upstream-hash-by-subset-size', theme: 'upstream', verdict: 'unsupported', behaviour: 'Read with upstream-hash-by-subset.' },
  { name: 'affinity', theme: 'upstream', verdict: 'honoured-with-difference', behaviour: 'cookie: a client stays on the pod named by its cookie (an opaque hash, never the pod address) while that pod is ready; else it moves and gets a new cookie.', difference: 'The cookie is HttpOnly always.', parse: affinity },
  { name: 'affinity-mode', theme: 'upstream', ...accepted('Sessions stay put while their pod is ready (`persistent`); scale-ups do not move them (`balanced` is not distinguished).') },
  { name: 'affinity-canary-behavior', theme: 'upstream', ...accepted('The canary is chosen per request (header, cookie, then weight) before affinity picks a pod inside the chosen backend, so a weighted canary is not sticky: ingress-nginx\'s default `sticky` behaviour is not reproduced; send a canary cookie for stickiness.') },
  { name: 'session-cookie-name', theme: 'upstream', verdict: 'honoured', behaviour: 'Affinity cookie name (default INGRESSCOOKIE).' },
  { name: 'session-cookie-path', theme: 'upstream', verdict: 'honoured', behaviour: 'Affinity cookie Path (default /).' },
  { name: 'session-cookie-max-age', theme: 'upstream', verdict: 'honoured', behaviour: 'Affinity cookie Max-Age in seconds.' },
  { name: 'session-cookie-expires', theme: 'upstream', verdict: 'honoured-with-difference', behaviour: 'Used as Max-Age when session-cookie-max-age is absent.', difference: 'Sent as Max-Age, not Expires.' },
  { name: 'session-cookie-secure', theme: 'upstream', verdict: 'honoured', behaviour: 'Affinity cookie Secure flag.' },
  { name: 'session-cookie-samesite', theme: 'upstream', verdict: 'honoured', behaviour: 'Affinity cookie SameSite (None, Lax, Strict; None implies Secure).' },
  { name: 'session-cookie-domain', theme: 'upstream', verdict: 'honoured', behaviour: 'Affinity cookie Domain.' },
  { name: 'session-cookie-conditional-samesite-none', theme: 'upstream', ...accepted('SameSite=None is sent to every browser.') },
  { name: 'session-cookie-change-on-failure', theme: 'upstream', ...accepted('A client whose pod failed or left always gets a new cookie.') },
  { name: 'service-upstream', theme: 'upstream', ...accepted('RAUTA always balances over the endpoints (with health checks) instead of the Service\'s cluster IP.') },
  { name: 'proxy-http-version', theme: 'upstream', ...accepted('RAUTA speaks HTTP/1.1 to backends (1.0 is not used).') },
  { name: 'connection-proxy-header', theme: 'upstream', ...accepted('RAUTA manages the Connection header to the backend itself (keep-alive; WebSocket upgrades pass).') },
];

