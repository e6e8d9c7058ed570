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
  { name: 'custom-headers', theme: 'headers', verdict: 'unsupported', behaviour: 'Ignored with a warning.', difference: 'Response headers from a ConfigMap are not supported yet; use a configuration-snippet with more_set_headers.', parse: (_v, c) => c.unsupported('custom-headers', 'headers from a ConfigMap are not supported; use configuration-snippet with more_set_headers') },
];
