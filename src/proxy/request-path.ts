/**
 * Request paths are normalised before routing, and what was matched is exactly what goes upstream.
 * Without this, `/public/../private/x` matched a `/public` rule and the backend (which normalises
 * itself) served `/private/x`: Ingress path rules could be walked around.
 *
 * The decisions (docs/path-normalisation.md explains them for users):
 * - Percent-encoded unreserved characters (ALPHA, DIGIT, `-`, `.`, `_`, `~`) are decoded first
 *   (RFC 3986 §6.2.2.2): `%2e%2e` is `..` and `%70rivate` is `private`, as any backend will read them.
 * - Dot segments are removed as RFC 3986 §5.2.4 says; a path that climbs above the root is refused
 *   (400) instead of being clamped, since no honest client sends one.
 * - `%2F` (and every other reserved or non-ASCII escape) stays encoded: it is data inside a segment and
 *   never creates one. Invalid escapes (`%zz`) are left as they are.
 * - Repeated slashes are merged (`//a///b` → `/a/b`), as nginx's default `merge_slashes on` does.
 * - A segment that is a dot segment followed by `;parameters` (`..;x`, `.;x`) is refused: some Java
 *   servers strip the parameters and then treat it as a dot segment.
 * - Targets that do not start with `/` (`*` for `OPTIONS`) are left alone; routing answers them.
 */

/** Hex digit value, or -1. */
function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function unreserved(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95 || c === 126;
}

function decodeUnreserved(path: string): string {
  if (!path.includes('%')) return path;
  let out = '';
  let from = 0;
  for (let i = path.indexOf('%'); i !== -1 && i + 2 < path.length; i = path.indexOf('%', i + 1)) {
    const hi = hex(path.charCodeAt(i + 1));
    const lo = hex(path.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) continue;
    const c = hi * 16 + lo;
    if (!unreserved(c)) continue;
    out += path.slice(from, i) + String.fromCharCode(c);
    from = i + 3;
    i += 2;
  }
  return from === 0 ? path : out + path.slice(from);
}

/**
 * Returns the normalised path (no query), or undefined when the path must be refused (it climbs above
 * the root, or holds an ambiguous dot segment with parameters).
 */
export function normalizePath(path: string): string | undefined {
  if (path.charCodeAt(0) !== 47 /* / */) return path;
  const decoded = decodeUnreserved(path);
  // Fast path: nothing to remove or merge.
  if (!decoded.includes('/.') && !decoded.includes('//')) return decoded;
  const segments = decoded.split('/');
  const out: string[] = [];
  // segments[0] is the empty string before the leading slash.
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i];
    const last = i === segments.length - 1;
    if (s === '.' || s === '..') {
      if (s === '..') {
        if (out.length === 0) return undefined;
        out.pop();
      }
      // `/a/.` and `/a/b/..` end with a slash (RFC 3986 §5.2.4 step 2B/2C).
      if (last) out.push('');
      continue;
    }
    if (s.startsWith('.;') || s.startsWith('..;')) return undefined;
    // An empty segment is a repeated slash, except the last one (a trailing slash is kept).
    if (s === '' && !last) continue;
    if (s === '' && last && out.length > 0 && out[out.length - 1] === '') continue;
    out.push(s);
  }
  return `/${out.join('/')}`;
}

/** The request target split and normalised: `path` is what routing sees, `target` what goes upstream. */
export interface NormalisedTarget {
  readonly path: string;
  readonly target: string;
}

/** Normalises an origin-form request target (`/path?query`); undefined when it must be refused. */
export function normalizeTarget(url: string): NormalisedTarget | undefined {
  const q = url.indexOf('?');
  const raw = q === -1 ? url : url.slice(0, q);
  const path = normalizePath(raw);
  if (path === undefined) return undefined;
  return { path, target: path === raw ? url : q === -1 ? path : path + url.slice(q) };
}
