import type { KubeObject } from './store.ts';

/**
 * Label selectors (`a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x)`) and field selectors
 * (`metadata.name=x`, `metadata.namespace=x`, `type=x`, `spec.x=y`, with `=`, `==`, `!=`).
 */
export type Predicate = (obj: KubeObject) => boolean;

export class SelectorError extends Error {}

function splitTerms(s: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) { terms.push(cur.trim()); cur = ''; continue; }
    cur += ch;
  }
  if (cur.trim() !== '') terms.push(cur.trim());
  return terms;
}

export function labelSelector(raw: string | null): Predicate {
  if (raw === null || raw.trim() === '') return () => true;
  const tests = splitTerms(raw).map((term): Predicate => {
    const labels = (o: KubeObject) => o.metadata.labels ?? {};
    let m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m) {
      const [, key, op, list] = m;
      const values = list.split(',').map((v) => v.trim());
      return op === 'in' ? (o) => values.includes(labels(o)[key]) : (o) => !values.includes(labels(o)[key]);
    }
    m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(term);
    if (m) {
      const [, key, op, value] = m;
      return op === '!=' ? (o) => labels(o)[key] !== value : (o) => labels(o)[key] === value;
    }
    m = /^(!?)([\w./-]+)$/.exec(term);
    if (m) {
      const [, not, key] = m;
      return not ? (o) => !(key in labels(o)) : (o) => key in labels(o);
    }
    throw new SelectorError(`unable to parse requirement: ${term}`);
  });
  return (o) => tests.every((t) => t(o));
}

function fieldValue(obj: KubeObject, path: string): string | undefined {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur === undefined || cur === null ? undefined : String(cur);
}

export function fieldSelector(raw: string | null): Predicate {
  if (raw === null || raw.trim() === '') return () => true;
  const tests = splitTerms(raw).map((term): Predicate => {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid field selector: ${term}`);
    const [, path, op, value] = m;
    return op === '!=' ? (o) => (fieldValue(o, path) ?? '') !== value : (o) => (fieldValue(o, path) ?? '') === value;
  });
  return (o) => tests.every((t) => t(o));
}
