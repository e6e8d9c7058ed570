/**
 * Canonical host for matching: lower case, no `:port`, no trailing dot. Returns '' for an absent or
 * malformed Host header so it only matches rules without host.
 */
export function normalizeHost(raw: string | undefined): string {
  if (!raw) return '';
  let h = raw;
  if (h.charCodeAt(0) === 91 /* [ */) {
    const end = h.indexOf(']');
    h = end === -1 ? '' : h.slice(0, end + 1);
  } else {
    const colon = h.indexOf(':');
    if (colon !== -1) h = h.slice(0, colon);
  }
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h.toLowerCase();
}

/** `*.foo.com` → `foo.com`; the suffix a host must have below exactly one extra label. */
export function wildcardSuffix(host: string): string | undefined {
  return host.startsWith('*.') ? host.slice(2) : undefined;
}

/** For `bar.foo.com` the wildcard key that could match it: `foo.com`. */
export function parentDomain(host: string): string | undefined {
  const dot = host.indexOf('.');
  return dot === -1 ? undefined : host.slice(dot + 1);
}
