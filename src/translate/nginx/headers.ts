import type { HeaderValue } from '../../routing/policy.ts';
import { type AnnotationEntry, HEADER_NAME, HEADER_VALUE, type NginxContext } from './registry.ts';

/** Splits nginx directives into words, honouring "…" and '…' quotes; undefined when unbalanced. */
function statements(text: string): string[][] | undefined {
  const out: string[][] = [];
  let words: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '#') { while (i < text.length && text[i] !== '\n') i++; continue; }
    if (/\s/.test(c)) { i++; continue; }
    if (c === ';') { if (words.length > 0) out.push(words); words = []; i++; continue; }
    if (c === '{' || c === '}') return undefined; // blocks (if, location…) are never header-only
    if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end === -1) return undefined;
      words.push(text.slice(i + 1, end));
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < text.length && !/[\s;{}"']/.test(text[j])) j++;
    words.push(text.slice(i, j));
    i = j;
  }
  return words.length > 0 ? undefined : out; // a last directive without ';' is a syntax error in nginx
}

export interface SnippetHeaders {
  readonly request: { set: HeaderValue[]; remove: string[] };
  readonly response: { set: HeaderValue[]; add: HeaderValue[]; remove: string[] };
}

const literal = (v: string) => HEADER_VALUE.test(v) && !v.includes('$');

/**
 * A snippet is translated only when every directive is a header directive with literal names and
 * values; anything else (a variable, a block, another directive) returns the reason it is refused.
 */
export function snippetHeaders(text: string): { ok: true; headers: SnippetHeaders } | { ok: false; reason: string } {
  if (text.length > 16_384) return { ok: false, reason: 'longer than 16 KiB' };
  const stmts = statements(text);
  if (stmts === undefined) return { ok: false, reason: 'not a plain list of directives (blocks, unbalanced quotes or a missing ;)' };
  const h: SnippetHeaders = { request: { set: [], remove: [] }, response: { set: [], add: [], remove: [] } };
  for (const [directive, ...args] of stmts) {
    const bad = (why: string) => ({ ok: false as const, reason: `${directive}: ${why}` });
    switch (directive) {
      case 'more_set_headers':
      case 'more_set_input_headers': {
        if (args.length === 0) return bad('needs "Name: value"');
        for (const a of args) {
          if (a.startsWith('-')) return bad(`option ${a} is not supported`);
          const colon = a.indexOf(':');
          const name = a.slice(0, colon).trim();
          const value = a.slice(colon + 1).trim();
          if (colon <= 0 || !HEADER_NAME.test(name) || !literal(value)) return bad(`"${a.slice(0, 64)}" is not a literal "Name: value"`);
          (directive === 'more_set_headers' ? h.response.set : h.request.set).push({ name: name.toLowerCase(), value });
        }
        break;
      }
      case 'more_clear_headers':
      case 'more_clear_input_headers':
      case 'proxy_hide_header': {
        if (args.length === 0) return bad('needs a header name');
        for (const a of args) {
          if (a.startsWith('-') || !HEADER_NAME.test(a) || a.includes('*')) return bad(`"${a.slice(0, 64)}" is not a literal header name`);
          (directive === 'more_clear_input_headers' ? h.request.remove : h.response.remove).push(a.toLowerCase());
        }
        if (directive === 'proxy_hide_header' && args.length !== 1) return bad('takes one header name');
        break;
      }
      case 'add_header': {
        const [name, value, flag] = args;
        if (name === undefined || value === undefined || args.length > 3 || (flag !== undefined && flag !== 'always')) return bad('needs Name value [always]');
        if (!HEADER_NAME.test(name) || !literal(value)) return bad(`"${name.slice(0, 64)}" with a non-literal value`);
        h.response.add.push({ name: name.toLowerCase(), value });
        break;
      }
      case 'proxy_set_header': {
        const [name, value] = args;
        if (name === undefined || value === undefined || args.length !== 2) return bad('needs Name value');
        if (!HEADER_NAME.test(name) || !literal(value)) return bad(`"${name.slice(0, 64)}" with a non-literal value (variables are not translated)`);
        h.request.set.push({ name: name.toLowerCase(), value });
        break;
      }
      default:
        return { ok: false, reason: `directive "${String(directive).slice(0, 64)}" is not a header directive` };
    }
  }
  return { ok: true, headers: h };
}

function snippet(name: string) {
  return (value: string, ctx: NginxContext) => {
    const r = snippetHeaders(value);
    if (!r.ok) return ctx.refuse(name, `snippets are refused unless they hold only header directives with literal values (${r.reason}); this Ingress is not served`);
    const { request, response } = r.headers;
    ctx.note(name, 'translated into header operations (header directives with literal values only)');
    if (request.set.length > 0 || request.remove.length > 0) ctx.op({ kind: 'headers', modifier: { set: request.set, remove: request.remove } }, 'request');
    if (response.set.length > 0 || response.add.length > 0 || response.remove.length > 0) {
      ctx.op({ kind: 'headers', modifier: { set: response.set, add: response.add, remove: response.remove } }, 'response');
    }
  };
}

/** Same-namespace references only: an Ingress must not read another tenant's ConfigMaps. */
const CM_REF = /^(?:([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)\/)?([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?)$/;
const MAX_CUSTOM_HEADERS = 64;

/**
 * ingress-nginx's custom-headers: every key of the ConfigMap is a response header (more_set_headers).
 * As in ingress-nginx, one bad name or value, or a name the operator did not allow, drops the whole
 * annotation: half a set of security headers is worse than a clear warning.
 */
function customHeaders(value: string, ctx: NginxContext): void {
  const m = CM_REF.exec(value.trim());
  if (m === null) return ctx.invalid('custom-headers', `${JSON.stringify(value.slice(0, 128))} is not namespace/name of a ConfigMap; ignored`);
  const namespace = m[1] ?? ctx.namespace;
  if (namespace !== ctx.namespace) return ctx.invalid('custom-headers', `ConfigMap ${namespace}/${m[3]} is in another namespace; only the Ingress's own namespace (${ctx.namespace}) is read; ignored`);
  const cm = ctx.configMap(`${namespace}/${m[3]}`);
  if (cm === undefined) return ctx.invalid('custom-headers', `ConfigMap ${namespace}/${m[3]} not found; ignored`);
  if (cm.tooLarge) return ctx.invalid('custom-headers', `ConfigMap ${namespace}/${m[3]} is too large to read (over 128 keys or 64 KiB); ignored`);
  const set: HeaderValue[] = [];
  for (const [name, v] of Object.entries(cm.data ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!HEADER_NAME.test(name)) return ctx.invalid('custom-headers', `${JSON.stringify(name.slice(0, 64))} in ConfigMap ${namespace}/${m[3]} is not a header name; ignored`);
    if (!HEADER_VALUE.test(v)) return ctx.invalid('custom-headers', `the value of ${name} in ConfigMap ${namespace}/${m[3]} holds CR, LF or other control characters (or is over 4096 characters); ignored`);
    set.push({ name: name.toLowerCase(), value: v.trim() });
  }
  if (set.length === 0) return ctx.note('custom-headers', `ConfigMap ${namespace}/${m[3]} holds no headers`);
  if (set.length > MAX_CUSTOM_HEADERS) return ctx.invalid('custom-headers', `more than ${MAX_CUSTOM_HEADERS} headers; ignored`);
  const allowed = ctx.allowedResponseHeaders;
  if (allowed === undefined) {
    ctx.note('custom-headers', `applies only when RAUTA_ALLOWED_RESPONSE_HEADERS lists ${set.map((h) => h.name).join(', ')}`);
  } else {
    const refused = set.filter((h) => !allowed.includes(h.name)).map((h) => h.name);
    if (refused.length > 0) return ctx.invalid('custom-headers', `${refused.join(', ')} not allowed: list them in RAUTA_ALLOWED_RESPONSE_HEADERS (ingress-nginx's global-allowed-response-headers); ignored`);
  }
  ctx.op({ kind: 'headers', modifier: { set } }, 'response');
}

const refusedSnippet = (name: string, what: string): AnnotationEntry => ({
  name, theme: 'snippets', verdict: 'refused', behaviour: `The Ingress is not served: ${what} would be arbitrary configuration.`,
  difference: 'Snippets were the source of several ingress-nginx CVEs; RAUTA never runs configuration text.',
  parse: (_v, c) => c.refuse(name, `${what} cannot be honoured safely; this Ingress is not served`),
});

export const headerEntries: readonly AnnotationEntry[] = [
  { name: 'configuration-snippet', theme: 'snippets', verdict: 'refused', behaviour: 'Translated when it holds only more_set_headers, more_clear_headers, more_set_input_headers, more_clear_input_headers, add_header, proxy_set_header or proxy_hide_header with literal values; otherwise the Ingress is not served.', difference: 'Arbitrary nginx configuration is never run; variables in header values are not translated.', parse: snippet('configuration-snippet') },
  { name: 'server-snippet', theme: 'snippets', verdict: 'refused', behaviour: 'As configuration-snippet (header directives only), applied to this Ingress\'s routes; otherwise the Ingress is not served.', difference: 'Applies to this Ingress\'s routes, not to every Ingress of the host.', parse: snippet('server-snippet') },
  refusedSnippet('auth-snippet', 'auth-snippet'),
  refusedSnippet('modsecurity-snippet', 'modsecurity-snippet'),
  refusedSnippet('stream-snippet', 'stream-snippet'),
  {
    name: 'custom-headers', theme: 'headers', verdict: 'honoured-with-difference',
    behaviour: 'The ConfigMap named (`namespace/name`) holds response headers (key: name, value: value) set on the backend\'s responses; only names RAUTA_ALLOWED_RESPONSE_HEADERS lists (ingress-nginx\'s global-allowed-response-headers) are allowed, else the annotation is ignored.',
    difference: 'The ConfigMap must be in the Ingress\'s own namespace (a bare name means that namespace); ConfigMaps over 128 keys or 64 KiB are not read. The headers are set on the backend\'s responses, not on answers RAUTA makes itself.',
    parse: customHeaders,
  },
];
