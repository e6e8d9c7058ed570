import type { CorsOp, HeaderModifier, HeaderValue, MirrorOp, PathModifier, Phase, PolicyOp, RedirectOp, RewriteOp } from '../../routing/policy.ts';
import type { HeaderModifier as HeaderModifierSpec, HTTPRouteFilter, PathModifier as PathModifierSpec } from '../../sources/gateway-objects.ts';
import { type BackendRefContext, resolveBackendRef } from './backend-refs.ts';
import { int, isRecord, list, str, validHeaderName, validHostname } from './values.ts';

/**
 * HTTPRoute / GRPCRoute filters → operations of the traffic-policy model (src/routing/policy.ts), the
 * same operations ingress-nginx's annotations become. Every value is checked here; a filter RAUTA
 * cannot honour makes its rule answer 500 (the spec forbids skipping a filter) and is reported.
 */
export interface FilterResult {
  readonly ops: { readonly op: PolicyOp; readonly phase?: Phase }[];
  /** The rule answers by itself (a redirect): it needs no backend. */
  readonly answers: boolean;
  /** Problems that make the rule unusable (→ 500, route Accepted=False UnsupportedValue). */
  readonly unsupported: string[];
  /** backendRef problems of mirrors (→ ResolvedRefs=False). */
  readonly refProblems: { reason: string; message: string }[];
}

/** Filter types each route kind may use (GRPCRoute has no redirect, rewrite or CORS). */
const HTTP_FILTERS = new Set(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite', 'RequestMirror', 'CORS']);
const GRPC_FILTERS = new Set(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror']);

const SAFE_VALUE = /^[^\r\n\0]*$/;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export interface FilterContext extends BackendRefContext {
  readonly routeKind: 'HTTPRoute' | 'GRPCRoute';
  readonly routeNamespace: string;
  /** The match's path type: ReplacePrefixMatch needs a PathPrefix match. */
  readonly pathType: string;
}

export function translateFilters(filters: readonly HTTPRouteFilter[], ctx: FilterContext): FilterResult {
  const out: FilterResult = { ops: [], answers: false, unsupported: [], refProblems: [] };
  const allowed = ctx.routeKind === 'GRPCRoute' ? GRPC_FILTERS : HTTP_FILTERS;
  let redirects = 0;
  let rewrites = 0;
  filters.forEach((f, i) => {
    const type = str(f?.type) ?? '';
    const where = `filters[${i}] (${type || 'no type'})`;
    const bad = (message: string) => out.unsupported.push(`${where}: ${message}`);
    if (!allowed.has(type)) return bad(type === 'ExtensionRef' ? 'extension filters are not supported' : `filter type is not supported on ${ctx.routeKind}`);
    switch (type) {
      case 'RequestHeaderModifier':
      case 'ResponseHeaderModifier': {
        const spec = type === 'RequestHeaderModifier' ? f.requestHeaderModifier : f.responseHeaderModifier;
        const modifier = headerModifier(spec, bad);
        if (modifier !== undefined) out.ops.push({ op: { kind: 'headers', modifier }, phase: type === 'RequestHeaderModifier' ? 'request' : 'response' });
        return;
      }
      case 'RequestRedirect': {
        redirects++;
        const op = redirectOp(f.requestRedirect, ctx.pathType, bad);
        if (op !== undefined) {
          out.ops.push({ op });
          (out as { answers: boolean }).answers = true;
        }
        return;
      }
      case 'URLRewrite': {
        rewrites++;
        const op = rewriteOp(f.urlRewrite, ctx.pathType, bad);
        if (op !== undefined) out.ops.push({ op });
        return;
      }
      case 'RequestMirror': {
        const op = mirrorOp(f.requestMirror, ctx, bad, out.refProblems);
        if (op !== undefined) out.ops.push({ op });
        return;
      }
      case 'CORS': {
        const op = corsOp(f.cors, bad);
        if (op !== undefined) out.ops.push({ op });
        return;
      }
    }
  });
  // The spec allows one of each, and not a redirect together with a rewrite.
  if (redirects > 1 || rewrites > 1 || (redirects > 0 && rewrites > 0)) out.unsupported.push('RequestRedirect and URLRewrite may each appear once, and not together');
  return out;
}

function headerList(v: unknown, bad: (m: string) => void): HeaderValue[] {
  const out: HeaderValue[] = [];
  for (const h of list(v as unknown[])) {
    const name = isRecord(h) ? str(h.name) : undefined;
    const value = isRecord(h) ? str(h.value) : undefined;
    if (name === undefined || !validHeaderName(name) || value === undefined || !SAFE_VALUE.test(value)) {
      bad(`header ${JSON.stringify(name ?? null)} needs a token name and a value without CR, LF or NUL`);
      continue;
    }
    out.push({ name: name.toLowerCase(), value });
  }
  return out;
}

function headerModifier(spec: HeaderModifierSpec | undefined, bad: (m: string) => void): HeaderModifier | undefined {
  if (!isRecord(spec)) {
    bad('the filter has no settings');
    return undefined;
  }
  const set = headerList(spec.set, bad);
  const add = headerList(spec.add, bad);
  const remove: string[] = [];
  for (const n of list(spec.remove as unknown[])) {
    const name = str(n);
    if (name === undefined || !validHeaderName(name)) bad(`remove: ${JSON.stringify(n)} is not a header name`);
    else remove.push(name.toLowerCase());
  }
  return { ...(set.length ? { set } : {}), ...(add.length ? { add } : {}), ...(remove.length ? { remove } : {}) };
}

function pathModifier(spec: PathModifierSpec | undefined, pathType: string, bad: (m: string) => void): PathModifier | undefined {
  if (spec === undefined) return undefined;
  const type = str(spec.type);
  if (type === 'ReplaceFullPath') {
    const value = str(spec.replaceFullPath);
    if (value === undefined || !value.startsWith('/') || !SAFE_VALUE.test(value) || value.includes('?') || value.includes('#')) return void bad('replaceFullPath must be an absolute path');
    return { type, value };
  }
  if (type === 'ReplacePrefixMatch') {
    const value = str(spec.replacePrefixMatch);
    if (value === undefined || !value.startsWith('/') || !SAFE_VALUE.test(value) || value.includes('?') || value.includes('#')) return void bad('replacePrefixMatch must be an absolute path');
    if (pathType !== 'PathPrefix') return void bad('ReplacePrefixMatch needs a PathPrefix match');
    return { type, value };
  }
  return void bad(`path modifier type ${String(spec.type)} is not ReplaceFullPath or ReplacePrefixMatch`);
}

function redirectOp(spec: HTTPRouteFilter['requestRedirect'], pathType: string, bad: (m: string) => void): RedirectOp | undefined {
  if (!isRecord(spec)) return void bad('the filter has no settings');
  const status = spec.statusCode === undefined ? 302 : int(spec.statusCode);
  if (status === undefined || !REDIRECT_STATUSES.has(status)) return void bad(`statusCode ${String(spec.statusCode)} is not 301, 302, 303, 307 or 308`);
  const scheme = str(spec.scheme);
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') return void bad(`scheme ${scheme} is not http or https`);
  const hostname = str(spec.hostname)?.toLowerCase();
  if (hostname !== undefined && (!validHostname(hostname) || hostname.startsWith('*'))) return void bad(`hostname ${hostname} is not a DNS name`);
  const port = spec.port === undefined ? undefined : int(spec.port);
  if (spec.port !== undefined && (port === undefined || port < 1 || port > 65535)) return void bad(`port ${String(spec.port)} is not a port number`);
  const path = pathModifier(spec.path, pathType, bad);
  if (spec.path !== undefined && path === undefined) return undefined;
  return {
    kind: 'redirect', status: status as RedirectOp['status'], keepQuery: true,
    ...(scheme !== undefined ? { scheme } : {}), ...(hostname !== undefined ? { hostname } : {}), ...(port !== undefined ? { port } : {}), ...(path !== undefined ? { path } : {}),
  };
}

function rewriteOp(spec: HTTPRouteFilter['urlRewrite'], pathType: string, bad: (m: string) => void): RewriteOp | undefined {
  if (!isRecord(spec)) return void bad('the filter has no settings');
  const hostname = str(spec.hostname)?.toLowerCase();
  if (hostname !== undefined && (!validHostname(hostname) || hostname.startsWith('*'))) return void bad(`hostname ${hostname} is not a DNS name`);
  const path = pathModifier(spec.path, pathType, bad);
  if (spec.path !== undefined && path === undefined) return undefined;
  return { kind: 'rewrite', ...(hostname !== undefined ? { hostname } : {}), ...(path !== undefined ? { path } : {}) };
}

function mirrorOp(spec: HTTPRouteFilter['requestMirror'], ctx: FilterContext, bad: (m: string) => void, refProblems: FilterResult['refProblems']): MirrorOp | undefined {
  if (!isRecord(spec) || !isRecord(spec.backendRef)) return void bad('the filter needs a backendRef');
  let percent = 100;
  if (spec.percent !== undefined) {
    const p = int(spec.percent);
    if (p === undefined || p < 0 || p > 100) return void bad('percent must be 0..100');
    percent = p;
  } else if (spec.fraction !== undefined) {
    const n = int(spec.fraction?.numerator);
    const d = spec.fraction?.denominator === undefined ? 100 : int(spec.fraction.denominator);
    if (n === undefined || d === undefined || d < 1 || n < 0 || n > d) return void bad('fraction must be numerator/denominator with 0 ≤ numerator ≤ denominator');
    percent = (n / d) * 100;
  }
  const resolved = resolveBackendRef(spec.backendRef, ctx.routeKind, ctx.routeNamespace, ctx);
  if (resolved.problem !== undefined) {
    refProblems.push({ reason: resolved.problem.reason, message: `mirror: ${resolved.problem.message}` });
    return undefined; // the mirror is dropped; the request itself is still served
  }
  return { kind: 'mirror', backendId: resolved.backend.id, percent, withBody: true };
}

function corsOp(spec: HTTPRouteFilter['cors'], bad: (m: string) => void): CorsOp | undefined {
  if (!isRecord(spec)) return void bad('the filter has no settings');
  const strings = (v: unknown, what: string, ok: (s: string) => boolean): string[] => {
    const out: string[] = [];
    for (const x of list(v as unknown[])) {
      const s = str(x);
      if (s === undefined || !ok(s)) bad(`${what}: ${JSON.stringify(x)} is not valid`);
      else out.push(s);
    }
    return out;
  };
  const origin = (s: string) => s === '*' || /^https?:\/\/(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$/.test(s);
  const allowOrigins = strings(spec.allowOrigins, 'allowOrigins', origin);
  const allowMethods = strings(spec.allowMethods, 'allowMethods', (s) => s === '*' || /^[A-Z]+$/.test(s));
  const allowHeaders = strings(spec.allowHeaders, 'allowHeaders', (s) => s === '*' || validHeaderName(s));
  const exposeHeaders = strings(spec.exposeHeaders, 'exposeHeaders', (s) => s === '*' || validHeaderName(s));
  const maxAge = spec.maxAge === undefined ? 5 : int(spec.maxAge);
  if (maxAge === undefined || maxAge < 0) return void bad('maxAge must be a number of seconds');
  return { kind: 'cors', allowOrigins, allowMethods, allowHeaders, exposeHeaders, allowCredentials: spec.allowCredentials === true, maxAgeSeconds: maxAge };
}

/** Gateway API Duration (`1h30m`, `500ms`): at most four parts of up to five digits. */
export function parseDuration(v: unknown): number | undefined {
  const s = str(v);
  if (s === undefined || !/^([0-9]{1,5}(h|m|s|ms)){1,4}$/.test(s)) return undefined;
  let ms = 0;
  for (const m of s.matchAll(/([0-9]{1,5})(ms|h|m|s)/g)) {
    const n = Number(m[1]);
    ms += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
  }
  return ms;
}
