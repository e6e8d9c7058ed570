import { normalizeHost } from '../../routing/host.ts';
import type { BodyLimitOp, HeaderOp, HttpsRedirectOp, PathModifier, RedirectOp, RequestOp, RewriteOp } from '../../routing/policy.ts';
import { ErrorKinds, ProxyError } from '../errors.ts';
import { compileRegex, matchPrefix } from './compile.ts';
import type { PolicyAnswer, PolicyContext } from './context.ts';
import { corsRequest } from './cors.ts';
import type { PolicyRuntime } from './runtime.ts';
import { isSafeHeaderValue, render } from './template.ts';

/** ACME HTTP-01 challenges stay reachable over plain HTTP while a certificate is issued. */
const ACME_CHALLENGE_PREFIX = '/.well-known/acme-challenge/';

/** One function per request operation, run in the order translation put them. */
export function runRequest(ops: readonly RequestOp[], ctx: PolicyContext, rt: PolicyRuntime): PolicyAnswer | undefined {
  for (const op of ops) {
    const answer = requestOp(op, ctx, rt);
    if (answer !== undefined) return answer;
  }
  return undefined;
}

function requestOp(op: RequestOp, ctx: PolicyContext, rt: PolicyRuntime): PolicyAnswer | undefined {
  switch (op.kind) {
    case 'body-limit': return bodyLimit(op, ctx);
    case 'https-redirect': return httpsRedirect(op, ctx);
    case 'redirect': return redirect(op, ctx, rt);
    case 'rewrite': return rewrite(op, ctx, rt);
    case 'headers': return headers(op, ctx);
    case 'cors': return corsRequest(op, ctx);
    case 'mirror': rt.mirror(op, ctx); return undefined;
  }
}

function bodyLimit(op: BodyLimitOp, ctx: PolicyContext): PolicyAnswer | undefined {
  ctx.maxBodyBytes = op.maxBytes;
  if (op.maxBytes === 0) return undefined;
  const cl = ctx.req.headers['content-length'];
  // A declared length over the limit is refused before a byte is read (nginx does the same); a chunked
  // body is counted as it flows (see the pipeline).
  if (cl !== undefined && Number(cl) > op.maxBytes) return tooLarge(op.maxBytes);
  return undefined;
}

export function tooLarge(maxBytes: number): PolicyAnswer {
  return { kind: 'error', error: new ProxyError(ErrorKinds.bodyTooLarge, `request body larger than ${maxBytes} bytes`) };
}

function httpsRedirect(op: HttpsRedirectOp, ctx: PolicyContext): PolicyAnswer | undefined {
  if (ctx.scheme === 'https') return undefined;
  if (op.trustForwardedProto && ctx.req.headers['x-forwarded-proto'] === 'https') return undefined;
  if (!op.force && !ctx.route.tls) return undefined;
  if (ctx.path.startsWith(ACME_CHALLENGE_PREFIX)) return undefined;
  const host = normalizeHost(ctx.rawHost);
  if (host === '') return undefined;
  return respondRedirect(op.status, `https://${host}${ctx.requestUri}`);
}

function respondRedirect(status: number, location: string): PolicyAnswer {
  if (!isSafeHeaderValue(location)) return { kind: 'error', error: new ProxyError(ErrorKinds.internal, 'redirect target is not a valid header value') };
  return { kind: 'respond', status, headers: { location } };
}

function redirect(op: RedirectOp, ctx: PolicyContext, rt: PolicyRuntime): PolicyAnswer | undefined {
  if (op.onlyPath !== undefined && ctx.path !== op.onlyPath) return undefined;
  if (op.location !== undefined) return respondRedirect(op.status, render(op.location, ctx));
  const scheme = op.scheme ?? ctx.scheme;
  const host = op.hostname ?? normalizeHost(ctx.rawHost);
  // Gateway API: a scheme change without an explicit port drops the port (the scheme's default).
  const port = op.port !== undefined ? op.port : op.scheme !== undefined ? undefined : portOf(ctx.rawHost);
  const defaultPort = scheme === 'https' ? 443 : 80;
  const path = op.path === undefined ? ctx.path : modifyPath(op.path, ctx, rt) ?? ctx.path;
  const query = op.keepQuery && ctx.query !== '' ? `?${ctx.query}` : '';
  const authority = port === undefined || port === defaultPort ? host : `${host}:${port}`;
  return respondRedirect(op.status, `${scheme}://${authority}${path}${query}`);
}

function portOf(rawHost: string): number | undefined {
  const m = /:(\d{1,5})$/.exec(rawHost);
  return m === null ? undefined : Number(m[1]);
}

function rewrite(op: RewriteOp, ctx: PolicyContext, rt: PolicyRuntime): PolicyAnswer | undefined {
  if (op.hostname !== undefined) ctx.upstreamHost = op.hostname;
  if (op.path === undefined) return undefined;
  const path = modifyPath(op.path, ctx, rt);
  if (path === undefined) {
    // The route's regex did not match this path: ingress-nginx would not have chosen this location.
    return { kind: 'error', error: new ProxyError(ErrorKinds.noRoute, `path "${ctx.path}" does not match the route's pattern`) };
  }
  const q = path.indexOf('?');
  if (q === -1) ctx.path = path;
  else {
    // nginx: arguments in the replacement come first, the request's own follow.
    const extra = path.slice(q + 1);
    ctx.path = path.slice(0, q);
    ctx.query = ctx.query === '' ? extra : extra === '' ? ctx.query : `${extra}&${ctx.query}`;
  }
  if (!ctx.path.startsWith('/')) ctx.path = `/${ctx.path}`;
  return undefined;
}

/** The new path, or undefined when a regex modifier does not match. */
export function modifyPath(m: PathModifier, ctx: PolicyContext, rt: PolicyRuntime): string | undefined {
  switch (m.type) {
    case 'ReplaceFullPath':
      return m.value;
    case 'ReplacePrefixMatch': {
      // Gateway API: replace the matched prefix; the rest keeps its leading slash (one, never two).
      const prefix = ctx.route.path.replace(/\/+$/, '');
      const rest = ctx.path.slice(prefix.length);
      const base = m.value.replace(/\/+$/, '');
      const joined = `${base}${rest}`;
      return joined === '' ? '/' : joined;
    }
    case 'RegexReplace': {
      const re = rt.compiled.get(m, (x) => compileRegex(x.pattern, x.caseInsensitive));
      const groups = matchPrefix(re, ctx.path);
      if (groups === undefined) return undefined;
      ctx.captures = groups;
      return render(m.template, ctx);
    }
  }
}

function headers(op: HeaderOp, ctx: PolicyContext): undefined {
  const m = op.modifier;
  if (m.remove) ctx.removeRequest.push(...m.remove);
  if (m.set) ctx.setRequest.push(...m.set);
  if (m.add) ctx.addRequest.push(...m.add);
  return undefined;
}
