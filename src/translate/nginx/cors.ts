import { type AnnotationEntry, type NginxContext, parseBool, parseIntIn, splitList } from './registry.ts';

const DEFAULT_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'];
const DEFAULT_HEADERS = ['DNT', 'Keep-Alive', 'User-Agent', 'X-Requested-With', 'If-Modified-Since', 'Cache-Control', 'Content-Type', 'Range', 'Authorization'];
const ORIGIN = /^(\*|https?:\/\/(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(:\d{1,5})?)$/;

function list(ctx: NginxContext, name: string, fallback: string[], item: RegExp): string[] {
  const raw = ctx.value(name);
  if (raw === undefined) return fallback;
  const out: string[] = [];
  for (const v of splitList(raw)) {
    if (item.test(v)) out.push(v);
    else ctx.invalid(name, `"${v.slice(0, 64)}" is not allowed here; skipped`);
  }
  return out;
}

function enableCors(value: string, ctx: NginxContext): void {
  const b = parseBool(value);
  if (b === undefined) return ctx.invalid('enable-cors', `"${value}" is not true or false; CORS off`);
  if (!b) return;
  const origins = list(ctx, 'cors-allow-origin', ['*'], ORIGIN).map((o) => o.toLowerCase());
  const credsRaw = ctx.value('cors-allow-credentials');
  const creds = credsRaw === undefined ? true : parseBool(credsRaw);
  if (creds === undefined) ctx.invalid('cors-allow-credentials', `"${credsRaw}" is not true or false; using true`);
  const maxRaw = ctx.value('cors-max-age');
  const maxAge = maxRaw === undefined ? 1_728_000 : parseIntIn(maxRaw, 0, 100_000_000);
  if (maxAge === undefined) ctx.invalid('cors-max-age', `"${maxRaw}" is not a number of seconds; using 1728000`);
  ctx.op({
    kind: 'cors',
    allowOrigins: origins,
    allowMethods: list(ctx, 'cors-allow-methods', DEFAULT_METHODS, /^[A-Za-z]{1,32}$/).map((m) => m.toUpperCase()),
    allowHeaders: list(ctx, 'cors-allow-headers', DEFAULT_HEADERS, /^[A-Za-z0-9_-]{1,128}$/),
    exposeHeaders: list(ctx, 'cors-expose-headers', [], /^(\*|[A-Za-z0-9_-]{1,128})$/),
    allowCredentials: creds ?? true,
    maxAgeSeconds: maxAge ?? 1_728_000,
  });
}

export const corsEntries: readonly AnnotationEntry[] = [
  { name: 'enable-cors', theme: 'cors', verdict: 'honoured', behaviour: 'CORS: a preflight from an allowed origin is answered 204 by RAUTA; other requests from it get Access-Control-Allow-* headers; the origin is echoed.', parse: enableCors },
  { name: 'cors-allow-origin', theme: 'cors', verdict: 'honoured', behaviour: 'Allowed origins: *, exact origins, or one-level wildcards https://*.example.com (default *).' },
  { name: 'cors-allow-methods', theme: 'cors', verdict: 'honoured', behaviour: 'Access-Control-Allow-Methods of the preflight answer.' },
  { name: 'cors-allow-headers', theme: 'cors', verdict: 'honoured', behaviour: 'Access-Control-Allow-Headers of the preflight answer.' },
  { name: 'cors-expose-headers', theme: 'cors', verdict: 'honoured', behaviour: 'Access-Control-Expose-Headers on responses.' },
  { name: 'cors-allow-credentials', theme: 'cors', verdict: 'honoured', behaviour: 'Access-Control-Allow-Credentials: true (default true).' },
  { name: 'cors-max-age', theme: 'cors', verdict: 'honoured', behaviour: 'Access-Control-Max-Age of the preflight answer (default 1728000).' },
];
