import type { Template, TemplatePart, TemplateVar } from '../../routing/policy.ts';

/** The nginx variables a URL or path template may use; any other `$name` is refused. */
export const URL_VARS: readonly TemplateVar[] = ['scheme', 'host', 'request_uri', 'uri', 'args', 'query_string', 'escaped_request_uri', 'best_http_host'];

export type TemplateResult = { readonly ok: true; readonly template: Template } | { readonly ok: false; readonly message: string };

/**
 * Parses `text with $var, ${var} and $1…$9` into parts. Nothing is interpolated at run time beyond the
 * listed variables and (when allowed) regex captures; CR, LF, NUL, spaces and quotes are refused.
 */
export function parseTemplate(raw: string, opts: { readonly captures: boolean; readonly vars?: readonly TemplateVar[]; readonly maxLength?: number }): TemplateResult {
  const vars = opts.vars ?? URL_VARS;
  if (raw.length === 0) return { ok: false, message: 'empty' };
  if (raw.length > (opts.maxLength ?? 2048)) return { ok: false, message: `longer than ${opts.maxLength ?? 2048} characters` };
  if (!/^[\x21-\x7e]+$/.test(raw) || /["'\\<>`{}|^]/.test(raw.replace(/\$\{[a-z_0-9]+\}/g, ''))) {
    return { ok: false, message: 'contains whitespace, control characters, quotes or other characters not allowed in a URL' };
  }
  const parts: TemplatePart[] = [];
  let lit = '';
  const re = /\$(?:\{([a-z_0-9]+)\}|([a-z_]+|[0-9]))/gi;
  let last = 0;
  for (let m = re.exec(raw); m !== null; m = re.exec(raw)) {
    lit += raw.slice(last, m.index);
    last = m.index + m[0].length;
    const name = (m[1] ?? m[2]).toLowerCase();
    if (/^[0-9]$/.test(name)) {
      if (!opts.captures) return { ok: false, message: `$${name} (a regex capture) is only allowed in rewrite-target` };
      if (lit !== '') parts.push({ lit });
      lit = '';
      parts.push({ capture: Number(name) });
      continue;
    }
    if (!vars.includes(name as TemplateVar)) {
      return { ok: false, message: `$${name} is not an allowed variable (allowed: ${vars.map((v) => `$${v}`).join(', ')})` };
    }
    if (lit !== '') parts.push({ lit });
    lit = '';
    parts.push({ var: name as TemplateVar });
  }
  lit += raw.slice(last);
  if (lit.includes('$')) return { ok: false, message: 'a "$" that does not start an allowed variable' };
  if (lit !== '') parts.push({ lit });
  return { ok: true, template: Object.freeze(parts) };
}

/** An absolute http(s) URL template (redirect targets, auth-url): `http://`, `https://` or `$scheme://`, then a host. */
export function parseUrlTemplate(raw: string, vars?: readonly TemplateVar[]): TemplateResult {
  const v = raw.trim();
  const m = /^(?:https?|\$scheme|\$\{scheme\}):\/\/([^/?#]*)/i.exec(v);
  if (m === null) return { ok: false, message: 'must be an absolute http:// or https:// URL' };
  if (m[1] === '' || m[1].includes('@')) return { ok: false, message: 'must name a host (and no user info)' };
  return parseTemplate(v, { captures: false, vars });
}
