import { type AnnotationEntry, HEADER_VALUE, type NginxContext, parseBool } from './registry.ts';
import { parseTemplate } from './template.ts';

function rewriteTarget(value: string, ctx: NginxContext): void {
  const t = parseTemplate(value.trim(), { captures: true, maxLength: 1024 });
  if (!t.ok) return ctx.invalid('rewrite-target', `${t.message}; paths are forwarded unchanged`);
  const first = t.template[0];
  if (first === undefined || !('lit' in first ? first.lit.startsWith('/') : true)) {
    return ctx.invalid('rewrite-target', 'must start with / (or a capture or variable); paths are forwarded unchanged');
  }
  ctx.paths.rewriteTarget = t.template;
}

function useRegex(value: string, ctx: NginxContext): void {
  const b = parseBool(value);
  if (b === undefined) return ctx.invalid('use-regex', `"${value}" is not true or false; paths are not regular expressions`);
  ctx.paths.useRegex = b;
}

function forwardedPrefix(value: string, ctx: NginxContext): void {
  if (!HEADER_VALUE.test(value) || value.length === 0) return ctx.invalid('x-forwarded-prefix', 'must be printable text (no CR, LF or control characters); not sent');
  ctx.op({ kind: 'headers', modifier: { set: [{ name: 'x-forwarded-prefix', value }] } }, 'request');
}

export const rewriteEntries: readonly AnnotationEntry[] = [
  { name: 'rewrite-target', theme: 'rewrite', verdict: 'honoured-with-difference', behaviour: 'The Ingress paths become case-insensitive regular expressions (RE2, linear time) anchored at the start; the matched path is replaced by this target with $1…$9 captures; the query string is kept.', difference: 'Routing first selects the route by the path\'s literal prefix (up to the last / before the first regex character), then the regex must match, else 404; ingress-nginx orders all regex locations of a host by length. Patterns RE2 cannot run (look-around, back-references) make that path invalid.', parse: rewriteTarget },
  { name: 'use-regex', theme: 'rewrite', verdict: 'honoured-with-difference', behaviour: 'The Ingress paths are case-insensitive regular expressions (RE2, linear time) anchored at the start.', difference: 'Applies to this Ingress\'s paths only, not to every Ingress of the host; regexes RE2 cannot run make that path invalid.', parse: useRegex },
  { name: 'x-forwarded-prefix', theme: 'rewrite', verdict: 'honoured', behaviour: 'Sends X-Forwarded-Prefix with this value upstream.', parse: forwardedPrefix },
  { name: 'enable-rewrite-log', theme: 'rewrite', verdict: 'honoured-with-difference', behaviour: 'Accepted; no effect.', difference: 'Every request event already shows the route; there is no separate rewrite log.' },
];
