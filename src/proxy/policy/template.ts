import { normalizeHost } from '../../routing/host.ts';
import type { Template } from '../../routing/policy.ts';
import type { PolicyContext } from './context.ts';

/**
 * Renders a parsed template. Only the variables the model names exist; a capture that did not match
 * is empty (as in nginx). The result is checked by the caller before it becomes a header value.
 */
export function render(t: Template, ctx: PolicyContext): string {
  let out = '';
  for (const part of t) {
    if ('lit' in part) out += part.lit;
    else if ('capture' in part) out += ctx.captures?.[part.capture] ?? '';
    else out += variable(part.var, ctx);
  }
  return out;
}

function variable(name: string, ctx: PolicyContext): string {
  switch (name) {
    case 'scheme': return ctx.scheme;
    case 'host': return normalizeHost(ctx.rawHost);
    case 'best_http_host': return ctx.rawHost;
    case 'request_uri': return ctx.requestUri;
    case 'escaped_request_uri': return encodeURIComponent(ctx.requestUri);
    case 'uri': return ctx.path;
    case 'args': case 'query_string': return ctx.query;
    case 'remote_addr': return ctx.clientIp;
    default: return '';
  }
}

/** RFC 9110 field-value: no CR, LF or NUL, and nothing outside visible ASCII, space and tab. */
export function isSafeHeaderValue(v: string): boolean {
  return /^[\t\x20-\x7e]*$/.test(v);
}
