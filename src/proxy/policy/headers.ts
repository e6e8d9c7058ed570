import type { BackendHeaderRewriteOp, HeaderValue } from '../../routing/policy.ts';

/**
 * Applies remove → set → add to a flat `[name, value, …]` header list (the form the forwarding code
 * uses). Names are lower-case in the policy; the list's may be any case.
 */
export function editHeaders(flat: string[], remove: readonly string[], set: readonly HeaderValue[], add: readonly HeaderValue[]): string[] {
  if (remove.length === 0 && set.length === 0 && add.length === 0) return flat;
  const drop = new Set(remove);
  for (const h of set) drop.add(h.name);
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    if (!drop.has(flat[i].toLowerCase())) out.push(flat[i], flat[i + 1]);
  }
  for (const h of set) out.push(h.name, h.value);
  for (const h of add) out.push(h.name, h.value);
  return out;
}

/** Replaces (or adds) the Host header of a flat list. */
export function withHost(flat: string[], host: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) if (flat[i].toLowerCase() !== 'host') out.push(flat[i], flat[i + 1]);
  out.unshift('host', host);
  return out;
}

/** nginx proxy_redirect / proxy_cookie_domain / proxy_cookie_path on a flat response header list. */
export function rewriteBackendHeaders(flat: string[], ops: readonly BackendHeaderRewriteOp[]): string[] {
  const out = flat.slice();
  for (let i = 0; i < out.length; i += 2) {
    const name = out[i].toLowerCase();
    for (const op of ops) {
      if ((name === 'location' || name === 'refresh') && op.location !== undefined) out[i + 1] = rewriteLocation(out[i + 1], op.location, name === 'refresh');
      else if (name === 'set-cookie' && (op.cookieDomain !== undefined || op.cookiePath !== undefined)) out[i + 1] = rewriteCookie(out[i + 1], op);
    }
  }
  return out;
}

function rewriteLocation(value: string, r: { from: string; to: string }, refresh: boolean): string {
  if (!refresh) return value.startsWith(r.from) ? r.to + value.slice(r.from.length) : value;
  // Refresh: `5; url=http://…`
  const m = /^(\s*\d+\s*;\s*url=)(.*)$/i.exec(value);
  if (m === null) return value;
  return m[2].startsWith(r.from) ? m[1] + r.to + m[2].slice(r.from.length) : value;
}

function rewriteCookie(value: string, op: BackendHeaderRewriteOp): string {
  return value.split(';').map((part, i) => {
    if (i === 0) return part;
    const eq = part.indexOf('=');
    if (eq === -1) return part;
    const attr = part.slice(0, eq).trim().toLowerCase();
    const v = part.slice(eq + 1).trim();
    if (attr === 'domain' && op.cookieDomain !== undefined && v.replace(/^\./, '').toLowerCase() === op.cookieDomain.from.replace(/^\./, '').toLowerCase()) {
      return ` Domain=${op.cookieDomain.to}`;
    }
    if (attr === 'path' && op.cookiePath !== undefined && v.startsWith(op.cookiePath.from)) return ` Path=${op.cookiePath.to}${v.slice(op.cookiePath.from.length)}`;
    return part;
  }).join(';');
}
