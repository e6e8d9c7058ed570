import type { HeaderValue } from '../../routing/policy.ts';

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
