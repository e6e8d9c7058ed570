import type { Dispatcher } from 'undici';
import type { ForwardAuthOp } from '../../routing/policy.ts';
import { ErrorKinds, ProxyError } from '../errors.ts';
import type { PolicyAnswer, PolicyContext } from './context.ts';
import type { PolicyRuntime } from './runtime.ts';
import { isSafeHeaderValue, render } from './template.ts';

/** Request headers never copied to the auth service (framing, hop-by-hop, ones RAUTA sets itself). */
const NOT_COPIED = new Set([
  'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer',
  'upgrade', 'expect', 'host', 'http2-settings', 'x-original-url', 'x-original-method', 'x-auth-request-redirect',
]);

/**
 * ingress-nginx's `auth_request`: a subrequest without the body, carrying the client's headers and
 * X-Original-URL / X-Original-Method. 2xx lets the request through (with the listed headers of the
 * answer copied onto it); 401 and 403 go back to the client (401 → sign-in redirect when configured);
 * anything else, or no answer in time, is 500: an auth service that cannot say yes means no.
 */
export async function forwardAuth(op: ForwardAuthOp, ctx: PolicyContext, rt: PolicyRuntime): Promise<PolicyAnswer | undefined> {
  const url = render(op.url, ctx);
  const parsed = URL.parse(url);
  if (parsed === null || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    return { kind: 'error', error: new ProxyError(ErrorKinds.authFailed, 'auth-url did not render to an http(s) URL') };
  }
  const originalUrl = `${ctx.scheme}://${ctx.rawHost}${ctx.requestUri}`;
  // No prototype: a client header named `constructor` or `__proto__` must be copied as a header, not
  // read from or written to Object.prototype.
  const headers: Record<string, string> = Object.create(null);
  const raw = ctx.req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name.charCodeAt(0) === 58 /* : */ || NOT_COPIED.has(name)) continue;
    headers[name] = headers[name] === undefined ? raw[i + 1] : `${headers[name]}, ${raw[i + 1]}`;
  }
  headers['x-original-url'] = originalUrl;
  headers['x-original-method'] = ctx.req.method ?? 'GET';
  headers['x-forwarded-for'] = ctx.clientIp;
  headers['x-forwarded-proto'] = ctx.scheme;
  headers['x-forwarded-host'] = ctx.rawHost;
  headers['x-auth-request-redirect'] = op.requestRedirect ? render(op.requestRedirect, ctx) : ctx.requestUri;
  for (const [k, v] of Object.entries(headers)) if (!isSafeHeaderValue(v)) delete headers[k];

  let res: Dispatcher.ResponseData;
  try {
    res = await rt.authClient.request({
      origin: parsed.origin,
      path: `${parsed.pathname}${parsed.search}`,
      method: op.method,
      headers,
      headersTimeout: op.timeoutMs,
      bodyTimeout: op.timeoutMs,
      signal: AbortSignal.timeout(op.timeoutMs),
    });
  } catch (err) {
    return { kind: 'error', error: new ProxyError(ErrorKinds.authFailed, `auth service unreachable: ${(err as Error).message}`, { cause: err }) };
  }
  // The auth answer's body is never used; drain a little, then drop the rest.
  res.body.resume();
  res.body.on('error', () => {});
  const status = res.statusCode;
  if (status >= 200 && status < 300) {
    for (const name of op.responseHeaders) {
      const v = res.headers[name];
      const value = Array.isArray(v) ? v.join(', ') : v;
      if (value !== undefined && isSafeHeaderValue(value)) ctx.setRequest.push({ name, value });
    }
    // As ingress-nginx: cookies the auth service sets (a refreshed session) reach the client with the answer.
    const cookies = res.headers['set-cookie'];
    for (const c of Array.isArray(cookies) ? cookies : cookies === undefined ? [] : [cookies]) {
      if (isSafeHeaderValue(c)) ctx.addResponse.push({ name: 'set-cookie', value: c });
    }
    return undefined;
  }
  if (status === 401 && op.signin !== undefined) {
    const target = render(op.signin, ctx);
    const sep = target.includes('?') ? '&' : '?';
    const location = `${target}${sep}${op.signinParam}=${encodeURIComponent(originalUrl)}`;
    if (isSafeHeaderValue(location)) return { kind: 'respond', status: 302, headers: { location } };
  }
  if (status === 401 || status === 403) {
    const kind = status === 401 ? ErrorKinds.unauthorized : ErrorKinds.forbidden;
    const challenge = res.headers['www-authenticate'];
    const headersOut: Record<string, string> = {};
    if (typeof challenge === 'string' && isSafeHeaderValue(challenge)) headersOut['www-authenticate'] = challenge;
    return { kind: 'error', error: new ProxyError(kind, `denied by the auth service (${status})`), headers: headersOut };
  }
  return { kind: 'error', error: new ProxyError(ErrorKinds.authFailed, `auth service answered ${status}`) };
}
