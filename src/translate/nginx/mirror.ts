import type { MirrorUrl } from '../../routing/policy.ts';
import type { AnnotationEntry, NginxContext } from './registry.ts';
import { parseTemplate } from './template.ts';

/** scheme://host[:port] then the rest; the host is a literal (never a variable). */
const ORIGIN = /^(https?):\/\/([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?|\[[0-9a-f:.]{2,45}\])(?::(\d{1,5}))?(.*)$/;
const HOST_HEADER = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?(:\d{1,5})?$/;

/** Parses mirror-target strictly: a literal origin, then a path/query template with the allowed variables. */
export function parseMirrorTarget(raw: string): { ok: true; url: MirrorUrl } | { ok: false; message: string } {
  const v = raw.trim();
  if (v.length > 2048) return { ok: false, message: 'longer than 2048 characters' };
  if (/^[a-z]+:\/\/[^/?#]*@/i.test(v)) return { ok: false, message: 'must not carry user info (user@host)' };
  const m = ORIGIN.exec(v);
  if (m === null) return { ok: false, message: 'must be an http:// or https:// URL with a literal lower-case host (no user info, no variables in the host)' };
  const scheme = m[1] as 'http' | 'https';
  const port = m[4] === undefined ? (scheme === 'https' ? 443 : 80) : Number(m[4]);
  if (!(port >= 1 && port <= 65_535)) return { ok: false, message: `port ${m[4]} is not 1..65535` };
  const rest = m[5];
  // nginx would send its internal /_mirror-… URI for a target without one; the request's URI is meant.
  const pathText = rest === '' ? '$request_uri' : rest;
  if (!/^[/?$]/.test(pathText)) return { ok: false, message: 'the part after the host must be a path, a query or a variable such as $request_uri' };
  const t = parseTemplate(pathText, { captures: false, vars: ['request_uri', 'uri', 'args', 'query_string', 'escaped_request_uri', 'host', 'scheme'] });
  if (!t.ok) return { ok: false, message: t.message };
  return { ok: true, url: Object.freeze({ scheme, host: m[2], port, path: t.template }) };
}

/** mirror-target with mirror-request-body and mirror-host, read together. */
function mirror(_value: string, ctx: NginxContext): void {
  const target = ctx.value('mirror-target');
  if (target === undefined) {
    if (ctx.value('mirror-host') !== undefined) ctx.note('mirror-host', 'ignored without mirror-target');
    return;
  }
  const parsed = parseMirrorTarget(target);
  if (!parsed.ok) return ctx.invalid('mirror-target', `${JSON.stringify(target.slice(0, 128))}: ${parsed.message}; no mirror`);
  let withBody = true;
  const body = ctx.value('mirror-request-body');
  if (body !== undefined) {
    const b = body.trim();
    if (b === 'off') withBody = false;
    else if (b !== 'on') ctx.invalid('mirror-request-body', `${JSON.stringify(body.slice(0, 32))} is not on or off; on`);
  }
  let hostHeader: string | undefined;
  const host = ctx.value('mirror-host');
  if (host !== undefined) {
    const h = host.trim().toLowerCase();
    if (HOST_HEADER.test(h)) hostHeader = h;
    else ctx.invalid('mirror-host', `${JSON.stringify(host.slice(0, 64))} is not a host name[:port]; the target's host is used`);
  }
  ctx.op({ kind: 'mirror', url: parsed.url, percent: 100, withBody, ...(hostHeader === undefined ? {} : { hostHeader }) });
}

export const mirrorEntries: readonly AnnotationEntry[] = [
  {
    name: 'mirror-target', theme: 'mirror', verdict: 'honoured-with-difference',
    behaviour: 'A copy of every request goes to this URL (path and query may use $request_uri, $uri, $args, $query_string, $escaped_request_uri, $host, $scheme); its answer is thrown away.',
    difference: 'Fire and forget: the client\'s request never waits for the copy or fails because of it (nginx\'s mirror can delay it). At most 256 copies in flight, each timed out; a copy whose body falls more than 1 MiB behind is dropped. A target without a path gets the request\'s URI. The host must be literal; https targets\' certificates are verified.',
    parse: mirror,
  },
  { name: 'mirror-request-body', theme: 'mirror', verdict: 'honoured', behaviour: '`off`: the copy is sent without the request body (default `on`: the body is copied as it flows to the backend).', parse: mirror },
  { name: 'mirror-host', theme: 'mirror', verdict: 'honoured', behaviour: 'The Host header of the copy (default: the host of mirror-target).', parse: mirror },
];
