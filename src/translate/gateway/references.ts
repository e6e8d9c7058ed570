import type { LabelSelector, Namespace, ReferenceGrant } from '../../sources/gateway-objects.ts';
import { list, nsOf, str } from './values.ts';

export interface RefFrom { readonly group: string; readonly kind: string; readonly namespace: string }
export interface RefTo { readonly group: string; readonly kind: string; readonly namespace: string; readonly name: string }

/**
 * ReferenceGrants: a reference from one namespace to an object in another is allowed only when a
 * grant in the target namespace names the referring kind and namespace, and the target kind (and
 * name, when the grant gives one). Same-namespace references need no grant.
 */
export class ReferenceGrants {
  private readonly byNamespace = new Map<string, ReferenceGrant[]>();

  constructor(grants: readonly ReferenceGrant[]) {
    for (const g of grants) {
      const ns = nsOf(g.metadata);
      const l = this.byNamespace.get(ns);
      if (l) l.push(g);
      else this.byNamespace.set(ns, [g]);
    }
  }

  allows(from: RefFrom, to: RefTo): boolean {
    if (from.namespace === to.namespace) return true;
    for (const g of this.byNamespace.get(to.namespace) ?? []) {
      const fromOk = list(g.spec?.from).some((f) => (str(f.group) ?? '') === from.group && str(f.kind) === from.kind && str(f.namespace) === from.namespace);
      if (!fromOk) continue;
      const toOk = list(g.spec?.to).some((t) => (str(t.group) ?? '') === to.group && str(t.kind) === to.kind && (t.name === undefined || t.name === '' || t.name === to.name));
      if (toOk) return true;
    }
    return false;
  }
}

/** Kubernetes label selector semantics (matchLabels AND matchExpressions); a malformed one matches nothing. */
export function selectorMatches(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (selector === undefined || selector === null || typeof selector !== 'object') return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of list(selector.matchExpressions)) {
    const key = str(e.key);
    if (key === undefined) return false;
    const has = Object.hasOwn(labels, key);
    const values = list(e.values).filter((v): v is string => typeof v === 'string');
    switch (e.operator) {
      case 'In': if (!has || !values.includes(labels[key])) return false; break;
      case 'NotIn': if (has && values.includes(labels[key])) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: return false;
    }
  }
  return true;
}

export function namespaceLabels(namespaces: readonly Namespace[]): Map<string, Readonly<Record<string, string>>> {
  const out = new Map<string, Readonly<Record<string, string>>>();
  for (const n of namespaces) {
    // The API server sets this label on every Namespace; a standalone file may not.
    out.set(n.metadata.name, { 'kubernetes.io/metadata.name': n.metadata.name, ...(n.metadata.labels ?? {}) });
  }
  return out;
}
