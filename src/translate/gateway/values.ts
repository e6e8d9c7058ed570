import type { StatusCondition } from '../../routing/gateway-status.ts';
import type { ObjectMeta } from '../../sources/object-set.ts';

/** Readers for untrusted values: each returns the typed value, or undefined when it has another type. */
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
export const list = <T>(v: readonly T[] | undefined): readonly T[] => (Array.isArray(v) ? v : []);
export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 1123 host name, optionally `*.` wildcard (Gateway API Hostname). */
const HOSTNAME_RE = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const validHostname = (h: string): boolean => h.length <= 253 && HOSTNAME_RE.test(h);

/** RFC 7230 token: a header name. */
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
export const validHeaderName = (n: string): boolean => n.length <= 256 && TOKEN_RE.test(n);

export const HTTP_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

export const nsOf = (m: ObjectMeta): string => m.namespace ?? 'default';

/** Oldest first, then namespace/name: the order both the Ingress and the Gateway API rules resolve ties in. */
export function byAge(a: { metadata: ObjectMeta }, b: { metadata: ObjectMeta }): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${nsOf(a.metadata)}/${a.metadata.name}`;
  const kb = `${nsOf(b.metadata)}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export const cond = (type: string, ok: boolean, reason: string, message: string): StatusCondition =>
  Object.freeze({ type, status: ok ? 'True' : 'False', reason, message });
