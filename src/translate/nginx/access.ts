import { X509Certificate } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { ClientCertOp, HtpasswdUser, Template } from '../../routing/policy.ts';
import { compileRegex } from '../../proxy/policy/compile.ts';
import { hashScheme } from '../../proxy/policy/htpasswd.ts';
import { type AnnotationEntry, HEADER_NAME, type NginxContext, parseBool, parseIntIn, splitList } from './registry.ts';
import { parseUrlTemplate } from './template.ts';

/** `10.0.0.0/8, 192.168.1.1, ::1/128` → canonical CIDRs, or the first bad entry. */
export function parseCidrs(v: string): { ok: true; cidrs: string[] } | { ok: false; bad: string } {
  const cidrs: string[] = [];
  const items = splitList(v);
  if (items.length === 0 || items.length > 1000) return { ok: false, bad: v.slice(0, 64) };
  for (const item of items) {
    const [ip, bits, extra] = item.split('/');
    const v4 = isIPv4(ip);
    if ((!v4 && !isIPv6(ip)) || extra !== undefined) return { ok: false, bad: item };
    const max = v4 ? 32 : 128;
    if (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > max)) return { ok: false, bad: item };
    cidrs.push(`${ip}/${bits ?? max}`);
  }
  return { ok: true, cidrs };
}

/** Address lists are security settings: a value that does not parse closes the route, never opens it. */
function sourceRange(mode: 'allow' | 'deny') {
  return (value: string, ctx: NginxContext, name: string) => {
    const r = parseCidrs(value);
    if (!r.ok) {
      ctx.failClosed(name, `"${r.bad}" is not an IP address or CIDR; the route is closed rather than served without its ${mode} list`);
      return;
    }
    ctx.op({ kind: 'source-range', mode, cidrs: r.cidrs });
  };
}

const MAX_USERS = 10_000;

function parseHtpasswd(text: string): { users: HtpasswdUser[]; bad: number } {
  const users: HtpasswdUser[] = [];
  let bad = 0;
  for (const line of text.split(/\r?\n/)) {
    const l = line.trim();
    if (l === '' || l.startsWith('#')) continue;
    const colon = l.indexOf(':');
    const user = l.slice(0, colon);
    const hash = l.slice(colon + 1);
    if (colon <= 0 || hashScheme(hash) === undefined || users.length >= MAX_USERS) bad++;
    else users.push({ user, hash });
  }
  return { users, bad };
}

function basicAuth(type: string, ctx: NginxContext): void {
  const t = type.trim().toLowerCase();
  if (t === 'digest') return ctx.failClosed('auth-type', 'digest authentication is not supported; the route is closed rather than served without authentication');
  if (t !== 'basic') return ctx.failClosed('auth-type', `"${type}" is not basic or digest; the route is closed`);
  const ref = ctx.value('auth-secret');
  if (ref === undefined || !/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\/)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(ref)) {
    return ctx.failClosed('auth-secret', `auth-type basic needs auth-secret naming a Secret (name or namespace/name), got "${ref ?? ''}"`);
  }
  const secret = ctx.secret(ref);
  if (secret === undefined) return ctx.failClosed('auth-secret', `Secret ${ref} not found (Kubernetes mode reads Secrets of type Opaque or kubernetes.io/tls)`);
  const secretType = (ctx.value('auth-secret-type') ?? 'auth-file').trim();
  const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
  let users: HtpasswdUser[] = [];
  let bad = 0;
  if (secretType === 'auth-file') {
    const auth = secret.data?.auth;
    if (auth === undefined) return ctx.failClosed('auth-secret', `Secret ${ref} has no "auth" key (an htpasswd file)`);
    ({ users, bad } = parseHtpasswd(decode(auth)));
  } else if (secretType === 'auth-map') {
    for (const [user, hash] of Object.entries(secret.data ?? {})) {
      const h = decode(hash).trim();
      if (hashScheme(h) === undefined) bad++;
      else users.push({ user, hash: h });
    }
  } else {
    return ctx.failClosed('auth-secret-type', `"${secretType}" is not auth-file or auth-map`);
  }
  if (bad > 0) ctx.invalid('auth-secret', `${bad} entr${bad === 1 ? 'y' : 'ies'} in Secret ${ref} skipped: only bcrypt ($2y$), apr1 ($apr1$) and SHA-1 ({SHA}) hashes are verified`);
  if (users.length === 0) return ctx.failClosed('auth-secret', `Secret ${ref} holds no usable user; the route is closed`);
  const realmRaw = ctx.value('auth-realm') ?? 'Authentication Required';
  const realm = /^[\x20-\x7e]{0,256}$/.test(realmRaw) && !/["\\]/.test(realmRaw) ? realmRaw : undefined;
  if (realm === undefined) ctx.invalid('auth-realm', 'must be printable text without quotes or backslashes; using "Authentication Required"');
  ctx.op({ kind: 'basic-auth', realm: realm ?? 'Authentication Required', users });
}

function forwardAuth(url: string, ctx: NginxContext): void {
  // The auth service's scheme and host must be literal: a variable there ($host) would let a client pick
  // which server answers "allowed".
  if (!/^https?:\/\/[^/?#$]+([/?]|$)/i.test(url.trim())) {
    return ctx.failClosed('auth-url', 'must start with a literal http:// or https:// host (no variables before the path); the route is closed rather than served without authentication');
  }
  const u = parseUrlTemplate(url);
  if (!u.ok) return ctx.failClosed('auth-url', `${u.message}; the route is closed rather than served without authentication`);
  const methodRaw = (ctx.value('auth-method') ?? 'GET').trim().toUpperCase();
  const method = methodRaw === 'GET' || methodRaw === 'POST' || methodRaw === 'HEAD' ? methodRaw : undefined;
  if (method === undefined) return ctx.failClosed('auth-method', `"${methodRaw}" is not GET, POST or HEAD`);
  let signin: Template | undefined;
  const signinRaw = ctx.value('auth-signin');
  if (signinRaw !== undefined) {
    const s = parseUrlTemplate(signinRaw);
    if (!s.ok) ctx.invalid('auth-signin', `${s.message}; 401 answers go to the client instead of a sign-in redirect`);
    else signin = s.template;
  }
  const param = ctx.value('auth-signin-redirect-param') ?? 'rd';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(param)) ctx.invalid('auth-signin-redirect-param', 'must be a plain parameter name; using rd');
  const headers: string[] = [];
  const rh = ctx.value('auth-response-headers');
  if (rh !== undefined) {
    for (const h of splitList(rh)) {
      if (HEADER_NAME.test(h)) headers.push(h.toLowerCase());
      else ctx.invalid('auth-response-headers', `"${h.slice(0, 64)}" is not a header name; skipped`);
    }
  }
  let requestRedirect: Template | undefined;
  const rr = ctx.value('auth-request-redirect');
  if (rr !== undefined) {
    const t = parseUrlTemplate(rr);
    const p = t.ok ? t : /^\/[\x21-\x7e]*$/.test(rr) ? { ok: true as const, template: [{ lit: rr }] } : t;
    if (!p.ok) ctx.invalid('auth-request-redirect', `${p.message}; using the request URI`);
    else requestRedirect = p.template;
  }
  ctx.op({
    kind: 'forward-auth', url: u.template, method, signin, signinParam: /^[A-Za-z0-9_.-]{1,64}$/.test(param) ? param : 'rd',
    responseHeaders: headers, requestRedirect, timeoutMs: 5000,
  });
}

const diff = (verdict: 'honoured' | 'honoured-with-difference', behaviour: string, difference?: string) => ({ verdict, behaviour, difference });

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * auth-tls-*: client certificates. The CA bundle is checked here (every block must parse), so the
 * listener never meets a CA it cannot load; anything that cannot be honoured closes the routes.
 */
function clientCertificate(_value: string, ctx: NginxContext): void {
  const ref = ctx.value('auth-tls-secret')?.trim();
  if (ref === undefined) return ctx.note('auth-tls-verify-client', 'auth-tls-* is ignored without auth-tls-secret');
  const modeRaw = (ctx.value('auth-tls-verify-client') ?? 'on').trim();
  let mode: ClientCertOp['mode'] | 'off' = 'on';
  if (modeRaw === 'on' || modeRaw === 'optional' || modeRaw === 'optional_no_ca' || modeRaw === 'off') mode = modeRaw;
  else ctx.invalid('auth-tls-verify-client', `${JSON.stringify(modeRaw.slice(0, 32))} is not on, off, optional or optional_no_ca; on`);
  if (mode === 'off') return ctx.note('auth-tls-verify-client', 'off: no client certificate is asked for');
  if (!/^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\/)?[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(ref)) {
    return ctx.failClosed('auth-tls-secret', `${JSON.stringify(ref.slice(0, 128))} is not namespace/name of a Secret`);
  }
  const data = ctx.secret(ref)?.data?.['ca.crt'];
  if (data === undefined) return ctx.failClosed('auth-tls-secret', `Secret ${ref} not found or without ca.crt`);
  const caPem = Buffer.from(data, 'base64').toString('utf8');
  const blocks = caPem.match(PEM_CERT) ?? [];
  try {
    if (blocks.length === 0 || blocks.length > 64) throw new Error('no certificate (or more than 64)');
    for (const b of blocks) new X509Certificate(b);
  } catch (err) {
    return ctx.failClosed('auth-tls-secret', `ca.crt of Secret ${ref} is not a PEM certificate bundle: ${(err as Error).message}`);
  }
  // ingress-nginx's ssl_crl: a Secret with ca.crl revokes the certificates it lists. Checked by compiling
  // it as the listener will; one that does not load closes the routes rather than accepting revoked ones.
  let crlPem: string | undefined;
  const crlData = ctx.secret(ref)?.data?.['ca.crl'];
  if (crlData !== undefined) {
    crlPem = Buffer.from(crlData, 'base64').toString('utf8');
    try {
      if (!crlPem.includes('-----BEGIN X509 CRL-----')) throw new Error('no PEM CRL');
      createSecureContext({ ca: caPem, crl: crlPem });
    } catch (err) {
      return ctx.failClosed('auth-tls-secret', `ca.crl of Secret ${ref} is not a PEM CRL: ${(err as Error).message}`);
    }
  }
  let depth = 1;
  const depthRaw = ctx.value('auth-tls-verify-depth');
  if (depthRaw !== undefined) {
    const d = parseIntIn(depthRaw, 1, 16);
    if (d === undefined) ctx.invalid('auth-tls-verify-depth', `${JSON.stringify(depthRaw.slice(0, 16))} is not a whole number 1..16; 1`);
    else depth = d;
  }
  let errorPage: Template | undefined;
  const pageRaw = ctx.value('auth-tls-error-page');
  if (pageRaw !== undefined) {
    const t = parseUrlTemplate(pageRaw);
    if (t.ok) errorPage = t.template;
    else ctx.invalid('auth-tls-error-page', `${t.message}; clients get 400 instead`);
  }
  let passCertificate = false;
  const passRaw = ctx.value('auth-tls-pass-certificate-to-upstream');
  if (passRaw !== undefined) {
    const b = parseBool(passRaw);
    if (b === undefined) ctx.invalid('auth-tls-pass-certificate-to-upstream', `${JSON.stringify(passRaw.slice(0, 16))} is not true or false; false`);
    else passCertificate = b;
  }
  let matchCn: string | undefined;
  const cn = ctx.value('auth-tls-match-cn');
  if (cn !== undefined) {
    try {
      compileRegex(cn, false);
      matchCn = cn;
    } catch (err) {
      return ctx.failClosed('auth-tls-match-cn', `not a regular expression RAUTA can run in linear time (RE2): ${(err as Error).message}`);
    }
  }
  ctx.op({
    kind: 'client-cert', mode, caPem: `${blocks.join('\n')}\n`, depth, passCertificate, secret: ref.includes('/') ? ref : `${ctx.namespace}/${ref}`,
    ...(crlPem === undefined ? {} : { crlPem }),
    ...(errorPage === undefined ? {} : { errorPage }), ...(matchCn === undefined ? {} : { matchCn }),
  });
}

export const accessEntries: readonly AnnotationEntry[] = [
  { name: 'allowlist-source-range', theme: 'access', security: true, ...diff('honoured', 'Only these client addresses (CIDRs) may use the routes; others get 403. A value that does not parse closes the route (503).'), parse: (v, c) => sourceRange('allow')(v, c, 'allowlist-source-range') },
  { name: 'whitelist-source-range', theme: 'access', security: true, ...diff('honoured', 'Old name of allowlist-source-range (allowlist-source-range wins when both are set).'), parse: (v, c) => { if (c.value('allowlist-source-range') === undefined) sourceRange('allow')(v, c, 'whitelist-source-range'); } },
  { name: 'denylist-source-range', theme: 'access', security: true, ...diff('honoured', 'These client addresses get 403. A value that does not parse closes the route (503).'), parse: (v, c) => sourceRange('deny')(v, c, 'denylist-source-range') },
  { name: 'auth-type', theme: 'access', security: true, ...diff('honoured-with-difference', 'basic: HTTP Basic authentication against auth-secret (401 with WWW-Authenticate).', 'digest is not supported: such routes are closed (503) rather than served without authentication. Hashes: bcrypt, apr1 and SHA-1 (crypt(3) DES and plain text entries are skipped).'), parse: basicAuth },
  { name: 'auth-secret', theme: 'access', security: true, ...diff('honoured', 'The Secret (name or namespace/name) holding the users; a missing or empty Secret closes the route (503).') },
  { name: 'auth-secret-type', theme: 'access', security: true, ...diff('honoured', 'auth-file (htpasswd in key "auth", the default) or auth-map (one key per user).') },
  { name: 'auth-realm', theme: 'access', ...diff('honoured', 'The realm in the WWW-Authenticate challenge.') },
  { name: 'auth-url', theme: 'access', security: true, ...diff('honoured-with-difference', 'Forward authentication: a subrequest without body carrying the client headers and X-Original-URL/-Method; 2xx proceeds, 401/403 go back to the client, anything else is 500.', 'Only $scheme, $host, $request_uri, $uri, $args, $query_string, $escaped_request_uri and $best_http_host may appear in the URL (other variables close the route). The subrequest times out after 5 s.'), parse: forwardAuth },
  { name: 'auth-method', theme: 'access', ...diff('honoured', 'Method of the auth subrequest (GET, POST or HEAD).') },
  { name: 'auth-signin', theme: 'access', ...diff('honoured', 'A 401 from the auth service becomes a 302 to this URL, with the original URL in `rd`.') },
  { name: 'auth-signin-redirect-param', theme: 'access', ...diff('honoured', 'Name of the parameter carrying the original URL (default rd).') },
  { name: 'auth-response-headers', theme: 'access', ...diff('honoured', 'Headers of the auth answer copied onto the request sent upstream.') },
  { name: 'auth-request-redirect', theme: 'access', ...diff('honoured', 'Value of X-Auth-Request-Redirect sent to the auth service.') },
  { name: 'auth-cache-key', theme: 'access', ...diff('honoured-with-difference', 'Accepted; every request is checked.', 'Auth answers are not cached: the auth service sees every request.') },
  { name: 'auth-cache-duration', theme: 'access', ...diff('honoured-with-difference', 'Accepted; every request is checked.', 'Auth answers are not cached.') },
  { name: 'auth-keepalive', theme: 'access', ...diff('honoured-with-difference', 'Accepted: RAUTA always keeps connections to the auth service alive (its own pool).', 'Pool size is not configurable.') },
  { name: 'auth-keepalive-share-vars', theme: 'access', ...diff('honoured-with-difference', 'Accepted; no effect.', 'There are no nginx variables to share.') },
  { name: 'auth-keepalive-requests', theme: 'access', ...diff('honoured-with-difference', 'Accepted; no effect.', 'Pool settings are RAUTA\'s.') },
  { name: 'auth-keepalive-timeout', theme: 'access', ...diff('honoured-with-difference', 'Accepted; no effect.', 'Pool settings are RAUTA\'s.') },
  { name: 'auth-always-set-cookie', theme: 'access', verdict: 'honoured-with-difference', behaviour: 'Set-Cookie headers of a successful auth answer reach the client with the backend\'s response (always, with or without this annotation).', difference: 'They are not added to responses RAUTA makes itself (errors).' },
  { name: 'auth-proxy-set-headers', theme: 'access', security: true, verdict: 'unsupported', behaviour: 'Closes the route (503).', difference: 'Headers for the auth subrequest from a ConfigMap are not supported; without them the auth decision could differ, so the route is closed.', parse: (_v, c) => c.failClosed('auth-proxy-set-headers', 'headers for the auth subrequest from a ConfigMap are not supported') },
  { name: 'enable-global-auth', theme: 'access', ...diff('honoured-with-difference', 'Accepted; no effect.', 'RAUTA has no global external auth.') },
  { name: 'satisfy', theme: 'access', ...diff('honoured-with-difference', '`all` (default): every access check must pass; `any`: the allow-list or authentication (basic or auth-url) suffices.', 'With `any`, deny lists, rate limits and client-certificate checks still apply to everyone (in nginx a passing authentication also overrides a deny list).'), parse: (v, c) => { const t = v.trim(); if (t !== 'any' && t !== 'all') c.invalid('satisfy', `"${t.slice(0, 16)}" is not any or all; using all`); } },
  {
    name: 'auth-tls-secret', theme: 'access', security: true, verdict: 'honoured-with-difference',
    behaviour: 'The HTTPS listener asks clients of this Ingress\'s hosts (by SNI) for a certificate and verifies it against ca.crt of this Secret (`namespace/name`), and against its ca.crl when present; every route of the host checks it, as the server-level setting it is in ingress-nginx. The backend gets ssl-client-verify, ssl-client-subject-dn and ssl-client-issuer-dn (what the client sent under these names is replaced).',
    difference: 'A request whose Host is not the name the TLS connection was verified for (SNI) gets 421. Plain-HTTP requests carry no certificate (400 when one is required). A CA Secret that cannot be read closes the routes (503).',
    parse: clientCertificate,
  },
  { name: 'auth-tls-verify-client', theme: 'access', security: true, verdict: 'honoured', behaviour: '`on` (default): without a valid certificate 400; `optional`: verified when sent (an invalid one gets 400); `optional_no_ca`: asked for, not verified; `off`: no client certificate.', parse: clientCertificate },
  { name: 'auth-tls-verify-depth', theme: 'access', verdict: 'honoured-with-difference', behaviour: '1 (default): the certificate must be issued by a CA of the bundle itself; 2..16: intermediates are accepted.', difference: 'Above 1 the chain length is not limited (Node does not show a server the chain its client sent); the chain must still end at a CA of the bundle.', parse: clientCertificate },
  { name: 'auth-tls-error-page', theme: 'access', verdict: 'honoured', behaviour: 'Clients without a valid certificate are redirected (302) here instead of getting 400.', parse: clientCertificate },
  { name: 'auth-tls-pass-certificate-to-upstream', theme: 'access', verdict: 'honoured', behaviour: '`true`: the certificate goes to the backend URL-encoded in ssl-client-cert.', parse: clientCertificate },
  { name: 'auth-tls-match-cn', theme: 'access', security: true, verdict: 'honoured-with-difference', behaviour: 'The subject DN (RFC 2253, e.g. `CN=alice,O=acme`) must match this regular expression, else 403.', difference: 'RE2 syntax (linear time); a pattern RE2 cannot run closes the routes (503).', parse: clientCertificate },
];

